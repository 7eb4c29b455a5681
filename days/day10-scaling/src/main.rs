//! The `load-test` command.
use day10_scaling as day;

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
