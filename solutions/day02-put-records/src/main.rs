//! `cargo run -p day02-put-records-solution -- --help`
use day02_put_records_solution as day;

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
