//! # Day 12 — archive and replay
//!
//! A stream forgets: Kinesis keeps a record 24 hours by default (at most 365
//! days, at a price). The counts in `Results` are only as good as the code
//! that made them, and a bug fixed today does not fix yesterday's counts.
//! So beside the live path (stream → counter → `Results`) runs a second,
//! slower one that keeps everything:
//!
//! 1. **the archiver**, a second consumer of the same stream, writes each
//!    batch's raw records to S3, byte for byte, one object per shard and
//!    hour of arrival: `raw/yyyy/mm/dd/hh/<shard>-<first sequence>.jsonl.gz`;
//! 2. **the replay** reads a time range of the archive back, shard by shard
//!    in sequence order, and sends the records through day 11's exactly-once
//!    consumer, into `Votes` and `Results` emptied for the purpose; on AWS a
//!    Step Functions state machine drives it, one shard per iteration;
//! 3. a batch the event-source mapping **gave up** is named by its on-failure
//!    message (shard, first and last sequence numbers): the replay reads
//!    exactly those records back from the archive.
//!
//! Replaying is safe because the consumer is: a vote already counted is
//! found counted, so a replay run twice changes nothing.
//~!
//~! Work through the `TODO`s from top to bottom, then run `just check 12`.
//~! The chapter "Day 12" of the book explains each step; `just hint 12` gives
//~! a hint, one level at a time.

pub mod lambda;

use std::cmp::Ordering;
use std::io::{Read as _, Write as _};

use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
// solution:
use aws_sdk_s3::primitives::ByteStream;
// end solution
use base64::Engine as _;
use chrono::{DateTime, Duration, DurationRound as _, Utc};
use pitlane::lambda::{KinesisEvent, KinesisEventRecord};
use serde::{Deserialize, Serialize};

// What the earlier days built (in the starter, your own code): day 11's
// exactly-once consumer, which the replay sends the archived records through.
pub use day11_keep_up_solution::{
    CONCURRENCY, Consumer, DEAD_LETTERS_TABLE_ENV, RESULTS_TABLE_ENV, RetryPolicy, Tables,
    VOTES_TABLE_ENV, create_tables, handle,
};

/// The environment variable naming the archive's bucket (`template.yaml`
/// sets it on both functions).
pub const ARCHIVE_BUCKET_ENV: &str = "ARCHIVE_BUCKET";

/// Where the raw records live in the bucket. Everything under one prefix, so
/// that other data (a manifest, replay reports) can sit beside it.
pub const RAW_PREFIX: &str = "raw/";

/// How many archived records the replay hands day 11's consumer at once: a
/// batch as large as the mapping's biggest (`BatchSize` goes to 10,000), so
/// that the consumer's lanes and transactions are as full as on the live path.
pub const REPLAY_BATCH: usize = 1000;

/// One record as the archive keeps it: everything Kinesis said about it, and
/// its data byte for byte (base64 in the JSON, as in Lambda's own event), so
/// that a record that is not UTF-8, or not a vote, comes back unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchivedRecord {
    pub shard_id: String,
    pub sequence_number: String,
    pub partition_key: String,
    pub approximate_arrival_timestamp: DateTime<Utc>,
    /// The data, base64-encoded (standard alphabet, with padding).
    pub data: String,
    /// The stream's ARN, when the event named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_source_arn: Option<String>,
}

/// Why the archive could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("S3 {operation} {key}: {message}")]
    S3 { operation: &'static str, key: String, message: String },
    #[error("{key}, line {line}: {reason}")]
    Corrupt { key: String, line: usize, reason: String },
    #[error("record {sequence_number} names no shard: its eventID is {event_id:?}")]
    NoShard { sequence_number: String, event_id: Option<String> },
}

impl ArchiveError {
    /// An S3 call's failure, with the SDK's whole chain of causes.
    fn s3<E, R>(operation: &'static str, key: &str) -> impl FnOnce(SdkError<E, R>) -> Self
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let key = key.to_owned();
        move |error| Self::S3 { operation, key, message: DisplayErrorContext(error).to_string() }
    }
}

/// The archive: a bucket, and a client to reach it.
#[derive(Clone, Debug)]
pub struct Archive {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

/// An S3 client for `config`. Locally one server answers for every bucket
/// (`AWS_ENDPOINT_URL_S3`), so the bucket goes in the path
/// (`http://127.0.0.1:…/bucket/key`); on AWS each bucket has its own host
/// name (`bucket.s3.amazonaws.com`), the only style new buckets are
/// promised.
pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let local = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let config = aws_sdk_s3::config::Builder::from(config).force_path_style(local).build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The shard a record came from: Lambda's `eventID` is
/// `shardId-000000000000:<sequence number>`.
pub fn shard_of(record: &KinesisEventRecord) -> Result<String, ArchiveError> {
    record
        .event_id
        .as_deref()
        .and_then(|id| id.split_once(':'))
        .map(|(shard, _)| shard.to_owned())
        .filter(|shard| !shard.is_empty())
        .ok_or_else(|| ArchiveError::NoShard {
            sequence_number: record.kinesis.sequence_number.clone(),
            event_id: record.event_id.clone(),
        })
}

/// Kinesis sequence numbers are decimal numbers of up to 128 bits: compared
/// as numbers, never as text ("9" < "10"). Leading zeros never occur.
pub fn compare_sequence_numbers(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

// ANCHOR: archived
/// `record` as the archive keeps it.
pub fn archived(record: &KinesisEventRecord) -> Result<ArchivedRecord, ArchiveError> {
    //~ TODO 1: everything the replay needs to hand the record to a consumer
    //~   again as Lambda did: its shard (`shard_of`), sequence number,
    //~   partition key, arrival time and stream, and its data *byte for
    //~   byte*. The data may be any bytes (a broken client, a record that is
    //~   not a vote): the archive is the one place where nothing is decoded,
    //~   fixed or dropped. Chapter: «Day 12 › Keep every byte».
    // solution: todo!("day 12: a record as the archive keeps it")
    let kinesis = &record.kinesis;
    Ok(ArchivedRecord {
        shard_id: shard_of(record)?,
        sequence_number: kinesis.sequence_number.clone(),
        partition_key: kinesis.partition_key.clone(),
        approximate_arrival_timestamp: kinesis.approximate_arrival_timestamp.0,
        data: base64::engine::general_purpose::STANDARD.encode(&kinesis.data.0),
        event_source_arn: record.event_source_arn.clone(),
    })
    // end solution
}
// ANCHOR_END: archived

/// The record as Lambda would deliver it, from the archive: what the replay
/// hands the consumer.
pub fn restored(record: &ArchivedRecord) -> Result<KinesisEventRecord, String> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(&record.data)
        .map_err(|e| format!("record {}: data is not base64: {e}", record.sequence_number))?;
    let mut restored = KinesisEventRecord::default();
    restored.kinesis.partition_key = record.partition_key.clone();
    restored.kinesis.sequence_number = record.sequence_number.clone();
    restored.kinesis.approximate_arrival_timestamp.0 = record.approximate_arrival_timestamp;
    restored.kinesis.data.0 = data;
    restored.kinesis.kinesis_schema_version = Some("1.0".to_owned());
    restored.event_id = Some(format!("{}:{}", record.shard_id, record.sequence_number));
    restored.event_source = Some("aws:kinesis".to_owned());
    restored.event_name = Some("aws:kinesis:record".to_owned());
    restored.event_version = Some("1.0".to_owned());
    restored.event_source_arn = record.event_source_arn.clone();
    Ok(restored)
}

/// The hour a record arrived in (UTC): the archive's unit of time.
pub fn hour_of(time: DateTime<Utc>) -> DateTime<Utc> {
    time.duration_trunc(Duration::hours(1)).expect("an hour divides any time")
}

// ANCHOR: object_key
/// The key of the object that holds a run of records of one shard and one
/// hour, `first` being the run's first record:
/// `raw/yyyy/mm/dd/hh/<shard>-<first sequence>.jsonl.gz`, in UTC.
pub fn object_key(first: &ArchivedRecord) -> String {
    //~ TODO 2: the key above. Its date and hour are the first record's
    //~   arrival, in UTC, each field zero-padded to its width: the keys then
    //~   sort by time, and the prefix `raw/2026/07/05/15/` lists exactly one
    //~   hour. The shard and the first sequence number make it unique, and
    //~   the same batch delivered again gets the same key.
    //~   Chapter: «Day 12 › An object layout for reading by time»; docs:
    //~   https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-prefixes.html
    // solution: todo!("day 12: the object's key")
    let hour = hour_prefix(hour_of(first.approximate_arrival_timestamp));
    format!("{hour}{}-{}.jsonl.gz", first.shard_id, first.sequence_number)
    // end solution
}
// ANCHOR_END: object_key

/// The prefix that lists the objects of `hour`: `raw/yyyy/mm/dd/hh/`.
pub fn hour_prefix(hour: DateTime<Utc>) -> String {
    format!("{RAW_PREFIX}{}/", hour.format("%Y/%m/%d/%H"))
}

/// The shard and first sequence number an object key names, or `None` for a
/// key that is not an archive object.
pub fn key_parts(key: &str) -> Option<(&str, &str)> {
    let name = key.strip_prefix(RAW_PREFIX)?.rsplit('/').next()?.strip_suffix(".jsonl.gz")?;
    name.rsplit_once('-').filter(|(shard, seq)| !shard.is_empty() && !seq.is_empty())
}

/// The object's body: one JSON record a line, gzip'd. Gzip with no name and
/// no time in its header, so that the same records always make the same
/// bytes: a batch archived twice is one object, written twice alike.
pub fn encode(records: &[ArchivedRecord]) -> Vec<u8> {
    let mut gzip =
        flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    for record in records {
        serde_json::to_writer(&mut gzip, record).expect("plain data serializes");
        gzip.write_all(b"\n").expect("writing to memory");
    }
    gzip.finish().expect("writing to memory")
}

/// The records of an object `key` whose body is `bytes`.
pub fn decode(key: &str, bytes: &[u8]) -> Result<Vec<ArchivedRecord>, ArchiveError> {
    let corrupt =
        |line: usize, reason: String| ArchiveError::Corrupt { key: key.to_owned(), line, reason };
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(|e| corrupt(0, format!("not gzip'd JSON lines: {e}")))?;
    text.lines()
        .enumerate()
        .map(|(at, line)| serde_json::from_str(line).map_err(|e| corrupt(at + 1, e.to_string())))
        .collect()
}

// ANCHOR: archive_batch
/// Writes `event`'s records to the archive, one object per run of records
/// that arrived in the same hour, and returns the objects' keys in order.
///
/// Any failure is an error: the mapping then retries the whole batch, and
/// the objects already written are written again with the same bytes.
pub async fn archive_batch(
    archive: &Archive,
    event: &KinesisEvent,
) -> Result<Vec<String>, ArchiveError> {
    //~ TODO 3: turn the records into archived ones, cut them into runs of
    //~   the same hour of arrival (a batch can straddle an hour: its records
    //~   then belong under two prefixes), and put each run as one object
    //~   (`object_key`, `encode`), saying what it holds: a JSON-lines content
    //~   type and the gzip content encoding, which a reader needs to open it.
    //~   A record that cannot be archived, or a put S3 refuses, fails the
    //~   batch: the mapping retries it, so nothing is lost, and never skips
    //~   it, so nothing is silently missing.
    //~   Chapter: «Day 12 › One object per shard and hour», «Day 12 ›
    //~   Idempotent by name»; docs:
    //~   https://docs.rs/aws-sdk-s3/latest/aws_sdk_s3/operation/put_object/builders/struct.PutObjectFluentBuilder.html
    // solution: todo!("day 12: archive a batch")
    let records = event.records.iter().map(archived).collect::<Result<Vec<ArchivedRecord>, _>>()?;
    let mut keys = Vec::new();
    for run in records.chunk_by(|a, b| {
        hour_of(a.approximate_arrival_timestamp) == hour_of(b.approximate_arrival_timestamp)
    }) {
        let key = object_key(&run[0]);
        archive
            .client
            .put_object()
            .bucket(&archive.bucket)
            .key(&key)
            .content_type("application/x-ndjson")
            .content_encoding("gzip")
            .body(ByteStream::from(encode(run)))
            .send()
            .await
            .map_err(ArchiveError::s3("PutObject", &key))?;
        keys.push(key);
    }
    Ok(keys)
    // end solution
}
// ANCHOR_END: archive_batch

/// Every hour from `from`'s to `to`'s, both included.
pub fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut hours = Vec::new();
    let mut hour = hour_of(from);
    while hour <= to {
        hours.push(hour);
        hour += Duration::hours(1);
    }
    hours
}

// ANCHOR: objects_of_shard
/// The keys of `shard`'s objects that may hold records that arrived from
/// `from` to `to` (both included), in the shard's order: by first sequence
/// number.
pub async fn objects_of_shard(
    archive: &Archive,
    shard: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<String>, ArchiveError> {
    //~ TODO 4: list each hour's prefix from `from`'s hour to `to`'s (`hours`,
    //~   `hour_prefix`, `keys_under`), and keep the keys of `shard`
    //~   (`key_parts`): listing by hour is what the layout is for.
    //~   Order them by their first sequence number, as numbers
    //~   (`compare_sequence_numbers`): the replay must see a fan's votes in
    //~   the order they arrived, or a fan's second vote could count instead
    //~   of the first. Chapter: «Day 12 › Replay in the stream's order»;
    //~   docs: https://docs.rs/aws-sdk-s3/latest/aws_sdk_s3/operation/list_objects_v2/builders/struct.ListObjectsV2FluentBuilder.html
    // solution: todo!("day 12: the shard's objects in a time range")
    let mut keys = Vec::new();
    for hour in hours(from, to) {
        let listed = keys_under(archive, &hour_prefix(hour)).await?;
        keys.extend(
            listed.into_iter().filter(|key| key_parts(key).is_some_and(|(of, _)| of == shard)),
        );
    }
    fn first(key: &str) -> &str {
        key_parts(key).map_or("", |(_, seq)| seq)
    }
    keys.sort_by(|a, b| compare_sequence_numbers(first(a), first(b)));
    Ok(keys)
    // end solution
}
// ANCHOR_END: objects_of_shard

/// Every key under `prefix`, every page of the listing: one `ListObjectsV2`
/// answer holds at most 1,000 keys, and a busy hour has more objects.
pub async fn keys_under(archive: &Archive, prefix: &str) -> Result<Vec<String>, ArchiveError> {
    let mut keys = Vec::new();
    let mut pages = archive
        .client
        .list_objects_v2()
        .bucket(&archive.bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(ArchiveError::s3("ListObjectsV2", prefix))?;
        keys.extend(page.contents().iter().filter_map(|object| object.key()).map(str::to_owned));
    }
    Ok(keys)
}

/// The records of the object `key`.
pub async fn read_object(
    archive: &Archive,
    key: &str,
) -> Result<Vec<ArchivedRecord>, ArchiveError> {
    let object = archive
        .client
        .get_object()
        .bucket(&archive.bucket)
        .key(key)
        .send()
        .await
        .map_err(ArchiveError::s3("GetObject", key))?;
    let bytes = object.body.collect().await.map_err(|e| ArchiveError::S3 {
        operation: "GetObject",
        key: key.to_owned(),
        message: format!("reading the body: {e}"),
    })?;
    decode(key, &bytes.into_bytes())
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{0}")]
    BadRecord(String),
    /// The archive holds fewer of a batch's records than the batch had.
    #[error(
        "the archive holds {found} of the {expected} records of {shard}'s batch {first}..={last}"
    )]
    Incomplete { shard: String, first: String, last: String, found: usize, expected: usize },
    /// The consumer reported a record it could not finish (after its own
    /// retries): the replay stops there. Replaying again is safe.
    #[error("the consumer did not finish record {0}; replay again (nothing is counted twice)")]
    NotDone(String),
}

/// What a replay did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplaySummary {
    pub objects: usize,
    pub records: usize,
}

/// Who replays: the archive to read, the consumer to send the records to.
#[derive(Clone, Debug)]
pub struct Replayer {
    pub archive: Archive,
    pub consumer: Consumer,
}

/// Sends `records` (one shard's, in order) through day 11's consumer, in
/// batches of [`REPLAY_BATCH`]: a batch must be done before the next starts,
/// as on the live path, or a fan's later vote could overtake the first.
pub async fn replay_records(
    replayer: &Replayer,
    records: &[ArchivedRecord],
) -> Result<(), ReplayError> {
    for chunk in records.chunks(REPLAY_BATCH) {
        let restored = chunk.iter().map(restored).collect::<Result<Vec<_>, _>>();
        let event = pitlane::lambda::batch(restored.map_err(ReplayError::BadRecord)?);
        let response = handle(&replayer.consumer, event, CONCURRENCY).await;
        if let Some(failure) = response.batch_item_failures.first() {
            let at = failure.item_identifier.clone().unwrap_or_default();
            return Err(ReplayError::NotDone(at));
        }
    }
    Ok(())
}

/// One shard's part of a replay: the records of `shard` that arrived from
/// `from` to `to`. The state machine's `Plan` step makes one per shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardRange {
    pub shard: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

// ANCHOR: replay_shard
/// Replays `range`: its shard's records that arrived in its time range, in
/// the shard's order, through the consumer.
pub async fn replay_shard(
    replayer: &Replayer,
    range: &ShardRange,
) -> Result<ReplaySummary, ReplayError> {
    //~ TODO 5: read the range's objects (`objects_of_shard`, `read_object`)
    //~   in order, keep the records that arrived within the range (an hour's
    //~   object may hold records before `from` or after `to`: the range may
    //~   start or end inside an hour), and send them through
    //~   the consumer (`replay_records`). Say what was done: how many
    //~   objects were read and how many records replayed.
    //~   Chapter: «Day 12 › Replay in the stream's order».
    // solution: todo!("day 12: replay a shard's time range")
    let keys = objects_of_shard(&replayer.archive, &range.shard, range.from, range.to).await?;
    let mut records = Vec::new();
    for key in &keys {
        records.extend(read_object(&replayer.archive, key).await?.into_iter().filter(|record| {
            (range.from..=range.to).contains(&record.approximate_arrival_timestamp)
        }));
    }
    replay_records(replayer, &records).await?;
    Ok(ReplaySummary { objects: keys.len(), records: records.len() })
    // end solution
}
// ANCHOR_END: replay_shard

/// What the event-source mapping sends its on-failure destination for a
/// batch it gave up (AWS's shape; `pitlane-esm` sends the same). Only the
/// fields the replay needs are read.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FailedBatch {
    #[serde(rename = "KinesisBatchInfo")]
    pub kinesis_batch_info: FailedBatchInfo,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedBatchInfo {
    pub shard_id: String,
    pub start_sequence_number: String,
    pub end_sequence_number: String,
    pub approximate_arrival_of_first_record: DateTime<Utc>,
    pub approximate_arrival_of_last_record: DateTime<Utc>,
    pub batch_size: usize,
}

// ANCHOR: replay_failed_batch
/// Replays exactly the records of a batch the mapping gave up, from the
/// archive: those of its shard from its first sequence number to its last.
pub async fn replay_failed_batch(
    replayer: &Replayer,
    failed: &FailedBatch,
) -> Result<ReplaySummary, ReplayError> {
    //~ TODO 6: the message names the batch by its shard, its first and last
    //~   sequence numbers, and the arrival times of its first and last
    //~   records. Find the objects by time (`objects_of_shard`), keep the
    //~   records whose sequence numbers are within the batch's, compared as
    //~   numbers, each once (a record archived twice, after a retried batch
    //~   was split, is in two objects), and replay them. If the archive holds
    //~   fewer records than the batch had, replay nothing and say so
    //~   (`ReplayError::Incomplete`): a replay that quietly does less than
    //~   asked hides exactly the loss it exists to repair.
    //~   Chapter: «Day 12 › Replaying what was given up».
    // solution: todo!("day 12: replay a batch given up")
    let info = &failed.kinesis_batch_info;
    let (first, last) = (&info.start_sequence_number, &info.end_sequence_number);
    let keys = objects_of_shard(
        &replayer.archive,
        &info.shard_id,
        info.approximate_arrival_of_first_record,
        info.approximate_arrival_of_last_record,
    )
    .await?;
    let mut records = Vec::new();
    for key in &keys {
        records.extend(read_object(&replayer.archive, key).await?.into_iter().filter(|record| {
            let seq = &record.sequence_number;
            compare_sequence_numbers(seq, first).is_ge()
                && compare_sequence_numbers(seq, last).is_le()
        }));
    }
    // A batch archived twice (its objects overlap after a retry split it)
    // holds a record twice: it is replayed once.
    records.sort_by(|a, b| compare_sequence_numbers(&a.sequence_number, &b.sequence_number));
    records.dedup_by(|a, b| a.sequence_number == b.sequence_number);
    if records.len() < info.batch_size {
        return Err(ReplayError::Incomplete {
            shard: info.shard_id.clone(),
            first: first.clone(),
            last: last.clone(),
            found: records.len(),
            expected: info.batch_size,
        });
    }
    replay_records(replayer, &records).await?;
    Ok(ReplaySummary { objects: keys.len(), records: records.len() })
    // end solution
}
// ANCHOR_END: replay_failed_batch

/// The shards that have objects in the time range, one [`ShardRange`] each,
/// in shard order: the state machine's plan, which its map then runs.
pub async fn plan(
    archive: &Archive,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ShardRange>, ArchiveError> {
    let mut shards = std::collections::BTreeSet::new();
    for hour in hours(from, to) {
        let listed = keys_under(archive, &hour_prefix(hour)).await?;
        shards.extend(
            listed.iter().filter_map(|key| key_parts(key)).map(|(shard, _)| shard.to_owned()),
        );
    }
    Ok(shards.into_iter().map(|shard| ShardRange { shard, from, to }).collect())
}
