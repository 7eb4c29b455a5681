//! The `load-test` command, built from the solution.
use day10_scaling_solution as day;

// The command-line code is the starter's, compiled against this solution.
#[path = "../../../days/day10-scaling/src/cli.rs"]
mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
