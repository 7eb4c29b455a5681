//! The `load-test` command: plan a stream's shards, or measure how records
//! spread over them on the local backend.
//!
//! You do not need to change this file: it only calls the functions you write
//! in `lib.rs` (`crate::day` is your library: see `main.rs`). The solution's
//! command is made from the same file.

use anyhow::Result;
use clap::{Parser, Subcommand};
use pitlane::votes::Crowd;

use crate::day::{
    Counting, Keys, Load, Prices, TableWrites, hash_ranges, monthly_cost, plan, send_votes,
    shard_for_key, table_plan,
};

#[derive(Parser)]
#[command(about = "Plan a Kinesis stream's shards, or measure the spread of records over them")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// How many shards a load needs, which limit binds, and what a month costs.
    Plan {
        /// Records per second at the peak.
        #[arg(long, default_value_t = 20_000.0)]
        records_per_second: f64,
        /// Records per second on average over the month (for the cost).
        #[arg(long, default_value_t = 50.0)]
        average_records_per_second: f64,
        /// Bytes of data per record.
        #[arg(long, default_value_t = 70)]
        record_bytes: u32,
        /// Bytes of partition key per record.
        #[arg(long, default_value_t = 8)]
        key_bytes: u32,
        /// Applications reading the whole stream.
        #[arg(long, default_value_t = 2)]
        consumers: u32,
        /// The consumers use enhanced fan-out.
        #[arg(long)]
        enhanced_fan_out: bool,
        /// DynamoDB items the consumer writes per record (day 07: the vote and the count).
        #[arg(long, default_value_t = 2)]
        items_per_record: u32,
        /// Bytes per DynamoDB item.
        #[arg(long, default_value_t = 100)]
        item_bytes: u32,
        /// The items are written one by one, not in a transaction.
        #[arg(long)]
        no_transaction: bool,
    },
    /// What the vote tables take at the peak, counted per vote (days 07, 09)
    /// and per batch (day 11): write units, the favourite's item, the cost.
    Tables {
        /// Votes per second at the peak.
        #[arg(long, default_value_t = 20_000.0)]
        votes_per_second: f64,
        /// The most popular driver's share of the votes at the peak (0 to 1).
        #[arg(long, default_value_t = 0.6)]
        hottest_share: f64,
        /// Records per batch the consumer gets (the mapping's BatchSize).
        #[arg(long, default_value_t = 100)]
        batch_size: u32,
    },
    /// Send votes to a new local stream with one constant key, then with a key
    /// per fan, and show where they went.
    Spread {
        #[arg(long, default_value_t = 4)]
        shards: i32,
        #[arg(long, default_value_t = 2000)]
        votes: usize,
    },
}

#[tokio::main]
pub async fn main() -> Result<()> {
    pitlane::telemetry::init();
    match Args::parse().command {
        Command::Plan {
            records_per_second,
            average_records_per_second,
            record_bytes,
            key_bytes,
            consumers,
            enhanced_fan_out,
            items_per_record,
            item_bytes,
            no_transaction,
        } => {
            let load = Load {
                records_per_second,
                record_bytes,
                partition_key_bytes: key_bytes,
                consumers,
                enhanced_fan_out,
            };
            let plan = plan(&load);
            println!(
                "{} shard(s), bound by {:?} (records: {}, bytes in: {}, bytes out: {})",
                plan.shards,
                plan.binding,
                plan.by_write_records,
                plan.by_write_bytes,
                plan.by_read_bytes
            );
            let writes =
                TableWrites { items_per_record, item_bytes, transactional: !no_transaction };
            let cost = monthly_cost(
                &load,
                plan.shards,
                average_records_per_second,
                &writes,
                &Prices::us_east_1(),
            );
            println!("a month at {average_records_per_second} records/s on average:");
            let provisioned = format!("provisioned, {} shard(s)", plan.shards);
            println!("  {provisioned:<26} ${:>10.2}", cost.provisioned);
            println!("  {:<26} ${:>10.2}", "on-demand Standard", cost.on_demand_standard);
            println!("  {:<26} ${:>10.2}", "on-demand Advantage", cost.on_demand_advantage);
            println!(
                "  {:<26} {:>11.0} write request units",
                "DynamoDB writes", cost.write_request_units
            );
        }
        Command::Tables { votes_per_second, hottest_share, batch_size } => {
            println!(
                "the vote tables at {votes_per_second} votes/s, {:.0}% of them for one driver:",
                hottest_share * 100.0
            );
            let drivers = pitlane::votes::grid().len() as u32;
            for (design, counting) in [
                ("counted per vote", Counting::PerVote),
                ("counted per batch", Counting::PerBatch { batch_size, drivers }),
            ] {
                let tables =
                    table_plan(votes_per_second, hottest_share, counting, &Prices::us_east_1());
                println!(
                    "  {design:<18} {:>8.0} write units/s, ${:.2} per million votes",
                    tables.write_units_per_second, tables.usd_per_million_votes,
                );
                let verdict = if tables.fits {
                    format!("fits, up to {:.0} votes/s", tables.max_votes_per_second)
                } else {
                    format!(
                        "over a partition's 1,000, throttled past {:.0} votes/s",
                        tables.max_votes_per_second
                    )
                };
                println!(
                    "    the favourite's item {:>6.0} units/s: {verdict}",
                    tables.hottest_item_units_per_second
                );
            }
        }
        Command::Spread { shards, votes } => {
            let client = aws_sdk_kinesis::Client::new(&pitlane::aws::load_config().await);
            let stream = format!("pitlane-spread-{}", chrono::Utc::now().format("%H%M%S"));
            pitlane_esm::shards::create_stream_and_wait(&client, &stream, shards).await?;
            let ranges = hash_ranges(&client, &stream).await?;
            let votes = Crowd::new(10, 5_000).votes(votes);
            for keys in [Keys::Constant, Keys::PerFan] {
                let spread = send_votes(&client, &stream, keys, &votes).await?;
                println!("{keys:?} key(s): {} PutRecords calls", spread.calls);
                for (shard, count) in &spread.per_shard {
                    let bar = "█".repeat((*count as usize * 40).div_ceil(votes.len().max(1)));
                    println!("{}", format!("  {shard}  {count:>6}  {bar}").trim_end());
                }
                println!("  hottest shard: {:.0}% of the records", 100.0 * spread.hottest_share());
            }
            let hot = shard_for_key(Keys::Constant.key_for(&votes[0]), &ranges);
            println!("(the constant key's MD5 falls in {}'s hash key range)", hot.unwrap_or("no"));
            client.delete_stream().stream_name(&stream).send().await?;
        }
    }
    Ok(())
}
