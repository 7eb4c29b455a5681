//! `cargo run -p day03-read-shard-solution -- --help`
use day03_read_shard_solution as day;

// The command-line code is the starter's, compiled against this solution.
#[path = "../../../days/day03-read-shard/src/cli.rs"]
mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
