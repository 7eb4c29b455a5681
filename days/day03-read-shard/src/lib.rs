//! # Day 03 — read a shard
//!
//! A consumer reads a stream shard by shard. For each shard it asks for a
//! *shard iterator* — a cursor saying where to start — then calls
//! `GetRecords` again and again, each answer carrying records, the next
//! iterator, and `MillisBehindLatest`: how far the cursor is behind the tip
//! of the shard (0 = caught up).
//!
//! Where to start is the consumer's choice:
//!
//! | position                | starts at                                  |
//! |-------------------------|--------------------------------------------|
//! | `TRIM_HORIZON`          | the oldest record still kept (24 h default) |
//! | `LATEST`                | the next record written after the call      |
//! | `AT_SEQUENCE_NUMBER`    | that record                                 |
//! | `AFTER_SEQUENCE_NUMBER` | the record after it: resuming a checkpoint  |
//! | `AT_TIMESTAMP`          | the first record that arrived at that time  |
//!
//! Sequence numbers are decimal strings of up to 128 digits, too big for any
//! integer type. Comparing them as strings is wrong ("9" > "10"), so they get
//! a type of their own that compares them as numbers.
//!
//! Work through the `TODO`s from top to bottom, then run `just check 03`.
//! The chapter "Day 03" of the book explains each step; `just hint 03` gives
//! a nudge.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::DateTime as SdkDateTime;
use aws_sdk_kinesis::types::{Record, ShardIteratorType};
use chrono::{DateTime, Utc};
use pitlane::aws::KinesisError;
use serde::Serialize;

/// A Kinesis sequence number, ordered as the number it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct SequenceNumber(String);

impl SequenceNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SequenceNumber {
    type Err = ReadError;

    /// Accepts decimal digits only. Leading zeros are dropped, so that equal
    /// numbers are equal values.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // TODO 1: refuse an empty text or one with anything but ASCII digits
        //   (`ReadError::InvalidSequenceNumber(text.to_owned())`). Keep the
        //   digits without their leading zeros, but keep "0" for zero.
        todo!("day 03: parse a sequence number")
    }
}

// ANCHOR: ord
impl Ord for SequenceNumber {
    /// Without leading zeros, a longer number is a bigger number; numbers of
    /// the same length compare digit by digit, i.e. as strings.
    fn cmp(&self, other: &Self) -> Ordering {
        // TODO 2: compare the lengths first; only for equal lengths compare
        //   the texts (`Ordering::then_with` chains the two).
        todo!("day 03: order sequence numbers as numbers")
    }
}
// ANCHOR_END: ord

impl PartialOrd for SequenceNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ANCHOR: positions
/// Where a reader starts in a shard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartingPosition {
    TrimHorizon,
    Latest,
    AtSequenceNumber(SequenceNumber),
    AfterSequenceNumber(SequenceNumber),
    AtTimestamp(DateTime<Utc>),
}
// ANCHOR_END: positions

/// A record as a person wants to read it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecodedRecord {
    pub shard_id: String,
    pub sequence_number: SequenceNumber,
    pub partition_key: String,
    /// When Kinesis received the record (millisecond precision).
    pub arrived_at: Option<DateTime<Utc>>,
    pub payload: Payload,
}

/// The data of a record: JSON, or the reason it is not.
///
/// A record that is not JSON is *reported*, never dropped and never fatal:
/// one bad record must not stop the reading of a shard.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    Json(serde_json::Value),
    NotJson { error: String, raw: String },
}

/// One `GetRecords` answer, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub records: Vec<DecodedRecord>,
    /// How far behind the tip of the shard this page is; 0 = caught up.
    pub millis_behind_latest: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0:?} is not a sequence number: it must be decimal digits only")]
    InvalidSequenceNumber(String),
    #[error(transparent)]
    Kinesis(#[from] KinesisError),
}

/// Decodes one record read from `shard_id`.
pub fn decode(shard_id: &str, record: &Record) -> DecodedRecord {
    // TODO 3: parse `record.data()` with `serde_json::from_slice`:
    //   `Payload::Json(value)`, or on error `Payload::NotJson` with the
    //   error's text and the data as text (`String::from_utf8_lossy`).
    //   The arrival time: `approximate_arrival_timestamp()` → `.to_millis()`
    //   → `DateTime::from_timestamp_millis` (each step may fail: `and_then`).
    //   A missing partition key becomes "".
    todo!("day 03: decode a record")
}

/// Reads one shard, page after page, from a starting position.
///
/// It owns the current shard iterator: each page hands over the next one.
/// An iterator is valid for 5 minutes; a reader that stops longer must open
/// again after the last sequence number it processed (its checkpoint).
#[derive(Debug)]
pub struct ShardReader {
    client: Client,
    shard_id: String,
    iterator: Option<String>,
    /// `GetRecords` calls made so far.
    pub calls: usize,
}

impl ShardReader {
    /// Gets a shard iterator for `position` and returns a reader there.
    pub async fn open(
        client: &Client,
        stream: &str,
        shard_id: &str,
        position: &StartingPosition,
    ) -> Result<Self, ReadError> {
        // TODO 4: `client.get_shard_iterator()` with the stream and the shard,
        //   then per position the `shard_iterator_type(ShardIteratorType::..)`
        //   and, for the sequence-number positions,
        //   `.starting_sequence_number(seq.as_str())`, for `AtTimestamp`
        //   `.timestamp(SdkDateTime::from_millis(at.timestamp_millis()))`.
        //   Send it (`.map_err(KinesisError::from)?`) and keep the returned
        //   `shard_iterator()` in a new reader (`client.clone()` is cheap: the
        //   client is a handle), with `calls: 0`.
        todo!("day 03: open a shard iterator")
    }

    /// False once the shard is closed (split or merged) and fully read:
    /// Kinesis then hands out no next iterator.
    pub fn is_open(&self) -> bool {
        self.iterator.is_some()
    }

    /// One `GetRecords` call of at most `limit` records; moves the reader on.
    pub async fn next_page(&mut self, limit: i32) -> Result<Page, ReadError> {
        // TODO 5: `take()` the iterator; without one (closed shard) return an
        //   empty page at 0 ms behind. Otherwise call `get_records()` with the
        //   iterator and the limit, count the call, keep
        //   `next_shard_iterator()` as the new iterator, and return the
        //   decoded records with `millis_behind_latest()` (0 if absent).
        todo!("day 03: read one page")
    }

    // ANCHOR: read_until_caught_up
    /// Reads pages until the reader is caught up (an empty page at 0 ms
    /// behind) or the shard is closed, and returns every record read.
    ///
    /// An empty page alone does not mean the end: Kinesis may answer with no
    /// records while data lies further on, which `MillisBehindLatest` shows.
    pub async fn read_until_caught_up(
        &mut self,
        limit: i32,
    ) -> Result<Vec<DecodedRecord>, ReadError> {
        // TODO 6: while the reader `is_open()`, read a page and keep its
        //   records. Stop after a page that is empty *and* 0 ms behind: only
        //   both together mean "caught up".
        todo!("day 03: read until caught up")
    }
    // ANCHOR_END: read_until_caught_up
}
