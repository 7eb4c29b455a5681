//! The `produce` command: sends simulated sensor readings to a stream.
//!
//! You do not need to change this file: it only calls the functions you write
//! in `lib.rs` (`crate::day` is your library: see `main.rs`). The solution's
//! command is made from the same file, so both behave alike.

use anyhow::Result;
use clap::Parser;
use pitlane::sensors::Simulator;

use crate::day::{RetryPolicy, encode, put_all, put_one};

#[derive(Parser)]
#[command(about = "Send simulated trackside sensor readings to a Kinesis data stream")]
struct Args {
    /// The stream's name.
    #[arg(long, default_value = "pitlane-events")]
    stream: String,
    /// How many readings to send.
    #[arg(long, default_value_t = 100)]
    count: usize,
    /// How many sensors send them (each sensor is one partition key).
    #[arg(long, default_value_t = 6)]
    sensors: u32,
    /// The simulator's seed: the same seed sends the same readings.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Send each reading with its own PutRecord call instead of batching.
    #[arg(long)]
    one_by_one: bool,
}

#[tokio::main]
pub async fn main() -> Result<()> {
    pitlane::telemetry::init();
    let args = Args::parse();
    let client = aws_sdk_kinesis::Client::new(&pitlane::aws::load_config().await);
    let readings = Simulator::new(args.seed, args.sensors).take(args.count);
    let records = readings.iter().map(encode).collect::<Result<Vec<_>, _>>()?;

    let started = std::time::Instant::now();
    if args.one_by_one {
        for record in &records {
            let receipt = put_one(&client, &args.stream, record).await?;
            println!(
                "{} → {} #{}",
                record.partition_key(),
                receipt.shard_id,
                receipt.sequence_number
            );
        }
        println!("sent {} readings with {} PutRecord calls", records.len(), records.len());
    } else {
        let report = put_all(&client, &args.stream, records, &RetryPolicy::default()).await?;
        println!(
            "sent {} readings with {} PutRecords call(s), {} record(s) retried",
            report.records, report.calls, report.retried
        );
    }
    println!("in {:.0?}", started.elapsed());
    Ok(())
}
