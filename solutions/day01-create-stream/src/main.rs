//! `cargo run -p day01-create-stream-solution -- --help`
use day01_create_stream_solution as day;

// The command-line code is the starter's, compiled against this solution.
#[path = "../../../days/day01-create-stream/src/cli.rs"]
mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
