//! `cargo run -p day01-create-stream -- --help`
use day01_create_stream as day;

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
