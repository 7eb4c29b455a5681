//! `cargo run -p day01-create-stream-solution -- --help`
use day01_create_stream_solution as day;

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
