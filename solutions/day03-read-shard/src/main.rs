//! `cargo run -p day03-read-shard-solution -- --help`
use day03_read_shard_solution as day;

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
