//! `cargo run -p day03-read-shard -- --help`
use day03_read_shard as day;

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
