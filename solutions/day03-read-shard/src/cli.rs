//! The `tail` command: prints the records of a stream as JSON lines.
//!
//! You do not need to change this file: it only calls the functions you write
//! in `lib.rs` (`crate::day` is your library: see `main.rs`). The solution's
//! command is made from the same file, so both behave alike.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::day::{DecodedRecord, Payload, ShardReader, StartingPosition};

#[derive(Parser)]
#[command(about = "Print the records of a Kinesis data stream as JSON lines")]
struct Args {
    /// The stream's name.
    #[arg(long, default_value = "pitlane-events")]
    stream: String,
    /// Where to start in every shard: trim-horizon, latest, at:<sequence
    /// number>, after:<sequence number>, or since:<RFC 3339 time>.
    #[arg(long, default_value = "trim-horizon", value_parser = parse_position)]
    from: StartingPosition,
    /// Keep reading new records until Ctrl-C (otherwise stop when caught up).
    #[arg(long)]
    follow: bool,
    /// Records per GetRecords call (at most 10,000).
    #[arg(long, default_value_t = 100)]
    limit: i32,
}

fn parse_position(text: &str) -> Result<StartingPosition> {
    Ok(match text.split_once(':') {
        None if text == "trim-horizon" => StartingPosition::TrimHorizon,
        None if text == "latest" => StartingPosition::Latest,
        Some(("at", seq)) => StartingPosition::AtSequenceNumber(seq.parse()?),
        Some(("after", seq)) => StartingPosition::AfterSequenceNumber(seq.parse()?),
        Some(("since", time)) => StartingPosition::AtTimestamp(
            chrono::DateTime::parse_from_rfc3339(time)
                .context("since: needs an RFC 3339 time")?
                .into(),
        ),
        _ => bail!("expected trim-horizon, latest, at:<seq>, after:<seq> or since:<time>"),
    })
}

#[tokio::main]
pub async fn main() -> Result<()> {
    pitlane::telemetry::init();
    let args = Args::parse();
    let client = aws_sdk_kinesis::Client::new(&pitlane::aws::load_config().await);

    let mut readers = Vec::new();
    for shard in pitlane_esm::shards::shard_ids(&client, &args.stream).await? {
        readers.push(ShardReader::open(&client, &args.stream, &shard, &args.from).await?);
    }

    let (mut total, mut not_json) = (0, 0);
    let mut print = |record: &DecodedRecord| -> Result<()> {
        total += 1;
        if let Payload::NotJson { error, .. } = &record.payload {
            not_json += 1;
            tracing::warn!(seq = %record.sequence_number, %error, "record is not JSON");
        }
        println!("{}", serde_json::to_string(record)?);
        Ok(())
    };

    if !args.follow {
        for reader in &mut readers {
            for record in reader.read_until_caught_up(args.limit).await? {
                print(&record)?;
            }
        }
        eprintln!("{total} record(s) from {} shard(s), {not_json} not JSON", readers.len());
        return Ok(());
    }

    // Follow: visit every shard in turn. Kinesis allows 5 GetRecords calls
    // per second per shard, so pause between rounds, longer when idle.
    loop {
        let mut idle = true;
        for reader in readers.iter_mut().filter(|r| r.is_open()) {
            let page = reader.next_page(args.limit).await?;
            idle &= page.records.is_empty();
            for record in &page.records {
                print(record)?;
            }
        }
        tokio::time::sleep(if idle { Duration::from_secs(1) } else { Duration::from_millis(250) })
            .await;
    }
}
