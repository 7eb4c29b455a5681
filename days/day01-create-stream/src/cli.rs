//! The `create-stream` command: creates (or finds) a stream, waits until it is
//! ACTIVE and prints it with its shards.
//!
//! You do not need to change this file: it only calls the functions you write
//! in `lib.rs` (`crate::day` is your library: see `main.rs`). The solution's
//! command is made from the same file, so both behave alike.

use std::time::Duration;

use anyhow::Result;
use clap::Parser;

use crate::day::{Capacity, Creation, ensure_stream, list_shards};

#[derive(Parser)]
#[command(about = "Create a Kinesis data stream (or find it) and wait until it is ACTIVE")]
struct Args {
    /// The stream's name.
    #[arg(long, default_value = "pitlane-events")]
    name: String,
    /// Number of shards of a provisioned stream.
    #[arg(long, default_value_t = 1, conflicts_with = "on_demand")]
    shards: i32,
    /// Let Kinesis manage the shards (on-demand capacity mode).
    #[arg(long)]
    on_demand: bool,
    /// How long to wait for the stream to become ACTIVE, in seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

#[tokio::main]
pub async fn main() -> Result<()> {
    pitlane::telemetry::init();
    let args = Args::parse();
    let capacity = if args.on_demand {
        Capacity::OnDemand
    } else {
        Capacity::Provisioned { shards: args.shards }
    };
    let client = aws_sdk_kinesis::Client::new(&pitlane::aws::load_config().await);

    let (creation, info) =
        ensure_stream(&client, &args.name, capacity, Duration::from_secs(args.timeout)).await?;
    match creation {
        Creation::Created => println!("created stream {}", info.name),
        Creation::AlreadyExists => println!("stream {} already exists", info.name),
    }
    println!("  arn:       {}", info.arn);
    println!("  status:    {}", info.status);
    println!("  mode:      {}", info.mode);
    println!("  retention: {} hours", info.retention_hours);
    for shard in list_shards(&client, &args.name).await? {
        println!(
            "  {}  hash keys {} ..= {}",
            shard.shard_id, shard.starting_hash_key, shard.ending_hash_key
        );
    }
    Ok(())
}
