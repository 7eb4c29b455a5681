//! The `load-test` command (`just load-test plan`, `just load-test spread`).
use day10_scaling as day;

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
