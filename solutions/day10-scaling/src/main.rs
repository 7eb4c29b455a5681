//! The `load-test` command.
use day10_scaling_solution as day;

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
