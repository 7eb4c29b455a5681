//! `cargo run -p day02-put-records -- --help`
use day02_put_records as day;

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
