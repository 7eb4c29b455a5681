//! # Day 10 — scaling: shards, partition keys and cost
//!
//! A Kinesis stream scales by **shards**. Each shard takes, at most,
//! **1 MiB/s or 1,000 records/s in** (whichever comes first) and gives
//! **2 MiB/s out**, shared by every standard consumer (with *enhanced
//! fan-out*, each registered consumer gets its own 2 MiB/s). Plan too few
//! shards and writes are throttled (`ProvisionedThroughputExceeded`); plan
//! too many and you pay for idle ones.
//!
//! Shards only help if the records spread over them. A record goes to the
//! shard whose *hash key range* holds the MD5 of its **partition key**: one
//! key for everything sends everything to one shard, however many there are
//! — a *hot partition*. A key per fan spreads the votes evenly.
//!
//! This crate has both halves of the question: a capacity planner (load in,
//! shards and cost out, with the limit that binds named) and a load
//! generator that measures the spread of records over shards, on the local
//! backend, for a constant key against per-fan keys.
//!
//! Work through the `TODO`s from top to bottom, then run `just check 10`.
//! The chapter "Day 10" of the book explains each step; `just hint 10` gives
//! a hint, one level at a time. `just load-test plan` and `just load-test spread` run your code.

use std::collections::BTreeMap;

use aws_sdk_kinesis::Client;
use pitlane::aws::KinesisError;
use pitlane::votes::Vote;
use serde::Serialize;

/// What one shard takes in per second: bytes (data + partition key)...
pub const SHARD_WRITE_BYTES: f64 = 1_048_576.0;
/// ...and records.
pub const SHARD_WRITE_RECORDS: f64 = 1_000.0;
/// What one shard gives out per second, shared by its standard consumers
/// (each enhanced fan-out consumer gets this much of its own).
pub const SHARD_READ_BYTES: f64 = 2.0 * 1_048_576.0;
/// Records per `PutRecords` call, at most.
pub const MAX_RECORDS_PER_PUT: usize = 500;

/// The traffic a stream must carry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Load {
    /// Records written per second, at the peak.
    pub records_per_second: f64,
    /// The data of one record, in bytes.
    pub record_bytes: u32,
    /// The partition key of one record, in bytes (it counts too).
    pub partition_key_bytes: u32,
    /// How many applications read the whole stream.
    pub consumers: u32,
    /// Whether the consumers use enhanced fan-out (their own 2 MiB/s each).
    pub enhanced_fan_out: bool,
}

/// Which per-shard limit decides the shard count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Limit {
    /// 1,000 records/s in.
    WriteRecords,
    /// 1 MiB/s in.
    WriteBytes,
    /// 2 MiB/s out, shared by the standard consumers.
    ReadBytes,
}

/// How many shards a load needs, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub shards: u32,
    pub binding: Limit,
    /// Shards each limit alone would need.
    pub by_write_records: u32,
    pub by_write_bytes: u32,
    pub by_read_bytes: u32,
}

fn shards_for(demand: f64, per_shard: f64) -> u32 {
    ((demand / per_shard).ceil() as u32).max(1)
}

// ANCHOR: plan
/// The shards `load` needs: the most that any one limit requires. On a tie
/// the first limit in the order records, write bytes, read bytes is named.
/// The partition key counts against the bytes in only (consumers read the
/// data), and a stream has at least one reader.
pub fn plan(load: &Load) -> Plan {
    // TODO 1: size the stream for its peak: the shards each per-shard limit
    //   alone would need (`shards_for` rounds up: a shard is not divisible),
    //   the largest of them, and the limit that binds. Mind what each limit
    //   counts, and who shares the 2 MiB/s out and who does not.
    //   Chapter: «Day 10 › Shard maths».
    todo!("day 10: plan the shards")
}
// ANCHOR_END: plan

/// What a month is billed by, in US dollars: Kinesis list prices of US East
/// (N. Virginia), and the terms of On-demand Advantage. Prices change and
/// differ by Region: check the pricing page,
/// <https://aws.amazon.com/kinesis/data-streams/pricing/>, before you rely on
/// them. `Prices::default()` is every price at zero, so that a test can price
/// one part of the bill at a time.
///
/// Where each figure comes from: the pricing page states the billing rules
/// used here (a per-stream hourly charge for On-demand Standard; data in
/// billed per record rounded up to 1 KB; 25 KB PUT payload units). Its price
/// tables could not be read when this model was last checked: the Standard
/// and Provisioned prices are the ones this course has used since it was
/// written, and third-party guides quote the same. For On-demand Advantage
/// the AWS documentation says data in and out cost "at least 60 %" less than
/// Standard and that there is no per-stream charge; the model takes exactly
/// 60 % less, the most Advantage can cost. Advantage is an account-level
/// commitment to a minimum throughput (the `MinimumThroughputBillingCommitment`
/// of `UpdateAccountSettings`); its size, 25 MiB/s of data in, was not found
/// on an AWS page: it is the figure third-party guides give, and it agrees
/// with AWS's own advice that Advantage pays off from about 10 MiB/s
/// (25 MiB/s at 40 % of the Standard price costs what 10 MiB/s costs at
/// Standard).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Prices {
    /// Provisioned: per shard-hour, used or not...
    pub shard_hour: f64,
    /// ...and per million PUT payload units (25 KB = 25 × 1,024 bytes of
    /// record, data and key, each unit started counting whole).
    pub million_put_units: f64,
    /// On-demand Standard: per stream-hour, used or not...
    pub on_demand_stream_hour: f64,
    /// ...per GB written, each record rounded up to 1 KB (1,024 bytes)...
    pub on_demand_gb_in: f64,
    /// ...and per GB read (the data, once per consumer).
    pub on_demand_gb_out: f64,
    /// DynamoDB on demand: per million write request units.
    pub dynamodb_million_write_units: f64,
    /// On-demand Advantage: no per-stream charge; per GB written (rounded as
    /// in Standard)...
    pub advantage_gb_in: f64,
    /// ...per GB read...
    pub advantage_gb_out: f64,
    /// ...and the commitment: this many MiB/s of data in are billed every
    /// second of the month, used or not (the account's, across all its
    /// on-demand streams: here, this stream is the only one).
    pub advantage_commitment_mib_per_second: f64,
}

impl Prices {
    pub fn us_east_1() -> Self {
        Self {
            shard_hour: 0.015,
            million_put_units: 0.014,
            on_demand_stream_hour: 0.04,
            on_demand_gb_in: 0.08,
            on_demand_gb_out: 0.04,
            // DynamoDB on-demand writes in US East, since the price cut of
            // November 2024: https://aws.amazon.com/dynamodb/pricing/on-demand/
            dynamodb_million_write_units: 0.625,
            // "At least 60 % lower" than Standard's 0.08 and 0.04.
            advantage_gb_in: 0.032,
            advantage_gb_out: 0.016,
            // Not found on an AWS page: see above.
            advantage_commitment_mib_per_second: 25.0,
        }
    }
}

/// What the consumer writes to DynamoDB for each record it reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableWrites {
    /// Items written per record (day 07: the fan's vote and the driver's count).
    pub items_per_record: u32,
    /// The size of one item, in bytes (names and values of its attributes).
    pub item_bytes: u32,
    /// Whether the items are written in one transaction (`TransactWriteItems`).
    pub transactional: bool,
}

/// A month of the stream in each capacity mode, in US dollars, and of the
/// consumer's table writes, in request units.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonthlyCost {
    pub provisioned: f64,
    pub on_demand_standard: f64,
    pub on_demand_advantage: f64,
    /// DynamoDB write request units: what an on-demand table bills per
    /// million (the price is on <https://aws.amazon.com/dynamodb/pricing/on-demand/>).
    pub write_request_units: f64,
}

/// Hours in the month of the estimates (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// A gigabyte as AWS bills data: 2^30 bytes.
const GB: f64 = 1_073_741_824.0;

// ANCHOR: monthly_cost
/// A month of the stream in the three capacity modes, `shards` provisioned
/// shards against on-demand, when it averages `average_records_per_second`
/// of `load`'s records (the peak sized the shards; the average decides what
/// the data costs), and the write request units of the consumer's `writes`.
///
/// What is counted: a record's size is its data and its partition key, for
/// the PUT units and the bytes written alike. What is read is the data
/// alone, once per consumer (at least one), as standard consumers (enhanced
/// fan-out is priced apart, and not here). A write request unit writes up to
/// 1 KB of an item; in a transaction each one counts twice.
pub fn monthly_cost(
    load: &Load,
    shards: u32,
    average_records_per_second: f64,
    writes: &TableWrites,
    prices: &Prices,
) -> MonthlyCost {
    // TODO 2: price a month in the three capacity modes with `prices`, and
    //   count the table's write request units: what is billed by the hour
    //   whether used or not, what the *average* load moves (and in what unit
    //   each mode rounds it), what Advantage commits you to, and what a
    //   transaction costs. A spiky load and a steady one come out opposite ways.
    //   Chapter: «Day 10 › On-demand or provisioned»; pricing:
    //   https://aws.amazon.com/kinesis/data-streams/pricing/
    todo!("day 10: price a month")
}
// ANCHOR_END: monthly_cost

/// One DynamoDB partition takes at most this many write units a second, in
/// either capacity mode; an item lives in one partition, so this is also the
/// most one item takes.
pub const PARTITION_WRITE_UNITS: f64 = 1_000.0;

/// The most actions one `TransactWriteItems` call takes.
pub const MAX_TRANSACTION_ACTIONS: u32 = 100;

/// How the vote consumer counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Counting {
    /// Days 07 and 09: one transaction per vote, the fan's item and the
    /// driver's count (2 items, 2 write units each).
    PerVote,
    /// Day 11: a conditional put per vote (1 unit), then, per batch, one
    /// transaction per group of at most [`MAX_TRANSACTION_ACTIONS`] actions:
    /// a mark per vote (2 units) and one count per driver in the group (2
    /// units). A group holds at most `100 − drivers` votes, the worst case
    /// where every driver of the grid appears in it; and a group counts at
    /// most as many drivers as it has votes (the batch's last group may be
    /// small).
    PerBatch { batch_size: u32, drivers: u32 },
}

/// What the vote tables take at the peak.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TablePlan {
    /// Write units a second, all items together.
    pub write_units_per_second: f64,
    /// Write units a second on the most popular driver's `Results` item.
    pub hottest_item_units_per_second: f64,
    /// The most votes a second before that item reaches
    /// [`PARTITION_WRITE_UNITS`] and throttles.
    pub max_votes_per_second: f64,
    /// Whether the peak fits under that.
    pub fits: bool,
    /// What a million votes cost in on-demand writes, in US dollars.
    pub usd_per_million_votes: f64,
}

// ANCHOR: table_plan
/// The tables at a peak of `votes_per_second`, `hottest_share` (0 to 1) of
/// them for one driver, counted as `counting` says, priced with `prices`.
/// Items are small (under 1 KB: one unit per write, two in a transaction);
/// at the peak every batch is full.
pub fn table_plan(
    votes_per_second: f64,
    hottest_share: f64,
    counting: Counting,
    prices: &Prices,
) -> TablePlan {
    // TODO 3: size the tables as well as the stream: the write units a
    //   second at the peak, and those of the one item every vote for the
    //   favourite updates, which a partition caps whatever the table's mode.
    //   Counted per vote, that item takes each of the favourite's votes;
    //   counted per batch (day 11), one write per transaction group,
    //   whatever the share, and each group counts each of its drivers once
    //   (never more drivers than it has votes). Mind what a transaction costs.
    //   Chapter: «Day 10 › Size the table too».
    todo!("day 10: size the tables")
}
// ANCHOR_END: table_plan

// ANCHOR: shard_for_key
/// The shard a partition key goes to: the one whose hash key range (from
/// `ListShards`: `(shard id, starting hash key, ending hash key)`, both ends
/// included) holds the MD5 of the key, read as a 128-bit big-endian number.
pub fn shard_for_key<'a>(key: &str, ranges: &'a [(String, u128, u128)]) -> Option<&'a str> {
    // TODO 4: find a key's shard as Kinesis does (described above): the MD5
    //   of the key is a point on a 128-bit ring that the shards' ranges share
    //   out. It is why one constant key, however many shards, is one hot shard.
    //   Chapter: «Day 10 › Hot partitions»; docs: https://docs.rs/md5/latest/md5/
    todo!("day 10: find a key's shard")
}
// ANCHOR_END: shard_for_key

/// The shards of `stream` with their hash key ranges.
pub async fn hash_ranges(
    client: &Client,
    stream: &str,
) -> Result<Vec<(String, u128, u128)>, KinesisError> {
    let shards = pitlane_esm::shards::list_shards(client, stream).await?;
    Ok(shards
        .iter()
        .filter_map(|shard| {
            let range = shard.hash_key_range()?;
            Some((
                shard.shard_id().to_owned(),
                range.starting_hash_key().parse().ok()?,
                range.ending_hash_key().parse().ok()?,
            ))
        })
        .collect())
}

/// How the load generator keys its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Keys {
    /// One key for every record (`"votes"`): the hot-partition mistake.
    Constant,
    /// The fan's id: one fan's votes in order, fans spread over shards.
    PerFan,
}

impl Keys {
    pub fn key_for<'a>(&self, vote: &'a Vote) -> &'a str {
        match self {
            Keys::Constant => "votes",
            Keys::PerFan => &vote.user,
        }
    }
}

/// Where a load generator's records went.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Records stored, per shard (every shard of the stream, zeros included).
    pub per_shard: BTreeMap<String, u64>,
    /// Records the stream refused (throttled): on AWS, a hot shard's.
    pub refused: u64,
    /// `PutRecords` calls made.
    pub calls: u32,
}

impl Spread {
    /// The busiest shard's share of the records stored (0 to 1).
    pub fn hottest_share(&self) -> f64 {
        let total: u64 = self.per_shard.values().sum();
        let hottest = self.per_shard.values().copied().max().unwrap_or(0);
        if total == 0 { 0.0 } else { hottest as f64 / total as f64 }
    }
}

// ANCHOR: send_votes
/// Sends `votes` to `stream` with `PutRecords`, [`MAX_RECORDS_PER_PUT`] per
/// call, keyed by `keys`, and counts where each record went: the answer to
/// `PutRecords` names each stored record's shard. A record's data is the
/// vote as JSON.
pub async fn send_votes(
    client: &Client,
    stream: &str,
    keys: Keys,
    votes: &[Vote],
) -> Result<Spread, KinesisError> {
    // TODO 5: send the votes in as few calls as `PutRecords` allows, and
    //   count where they went, every shard of the stream listed, idle ones
    //   too (the shards can be listed as `hash_ranges` does). One call can
    //   store some records and refuse others: read its answer record by record.
    //   Chapter: «Day 10 › Your turn: the load generator»; docs:
    //   https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/operation/put_records/builders/struct.PutRecordsFluentBuilder.html
    todo!("day 10: send the votes")
}
// ANCHOR_END: send_votes
