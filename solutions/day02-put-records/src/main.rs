//! `cargo run -p day02-put-records-solution -- --help`
use day02_put_records_solution as day;

// The command-line code is the starter's, compiled against this solution.
#[path = "../../../days/day02-put-records/src/cli.rs"]
mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
