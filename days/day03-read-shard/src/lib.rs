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
//! Sequence numbers are decimal strings of up to 129 digits, too big for any
//! integer type. Comparing them as strings is wrong ("9" > "10"), so they get
//! a type of their own that compares them as numbers.
//!
//! Work through the `TODO`s from top to bottom, then run `just check 03`.
//! The chapter "Day 03" of the book explains each step; `just hint 03` gives
//! a hint, one level at a time.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::Record;
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
        // TODO 1: accept decimal digits only (anything else, the empty text
        //   included, is `ReadError::InvalidSequenceNumber`), and store one
        //   canonical form per number, so "007" equals "7" and zero stays "0".
        //   Chapter: «Day 03 › Sequence numbers are numbers».
        todo!("day 03: parse a sequence number")
    }
}

// ANCHOR: ord
impl Ord for SequenceNumber {
    /// Without leading zeros, a longer number is a bigger number; numbers of
    /// the same length compare digit by digit, i.e. as strings.
    fn cmp(&self, other: &Self) -> Ordering {
        // TODO 2: order sequence numbers as the numbers they are, without turning
        //   them into an integer type (they outgrow `u128`): the canonical form of
        //   TODO 1 and the doc comment above make it possible.
        //   Chapter: «Day 03 › Sequence numbers are numbers».
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

/// Where a reader starts in a shard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartingPosition {
    TrimHorizon,
    Latest,
    AtSequenceNumber(SequenceNumber),
    AfterSequenceNumber(SequenceNumber),
    AtTimestamp(DateTime<Utc>),
}

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
    // TODO 3: decode a record without ever failing: its data as JSON, or, if it
    //   is not JSON, the parser's message and the raw text (`Payload::NotJson`;
    //   a stream holds bytes, not text: bytes that are not UTF-8 show as �);
    //   its arrival time to the millisecond (`None` if absent or out of range);
    //   an empty partition key if it has none. Chapter: «Day 03 › Bad records».
    //   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/types/struct.Record.html
    todo!("day 03: decode a record")
}

/// How long a reader waits before it reads a throttled page again: a
/// shard's 5 calls a second leave one every 200 ms.
pub const THROTTLED_READ_PAUSE: Duration = Duration::from_millis(200);

/// How many throttled pages in a row a reader waits out before it gives up.
pub const MAX_THROTTLED_READS: u32 = 10;

/// Whether Kinesis refused a call for the shard's throughput (its 5 calls or
/// 2 MiB a second, shared by every reader): worth trying again shortly.
pub fn is_throttled(error: &KinesisError) -> bool {
    matches!(error.inner(), aws_sdk_kinesis::Error::ProvisionedThroughputExceededException(_))
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
        // TODO 4: ask Kinesis for a shard iterator of this stream's shard at
        //   `position` (each position is one iterator type; some also need the
        //   sequence number or the time) and return a reader holding it, no call
        //   made yet. Chapter: «Day 03 › Where to start».
        //   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/client/struct.Client.html#method.get_shard_iterator
        todo!("day 03: open a shard iterator")
    }

    /// False once the shard is closed (split or merged) and fully read:
    /// Kinesis then hands out no next iterator.
    pub fn is_open(&self) -> bool {
        self.iterator.is_some()
    }

    /// One `GetRecords` call of at most `limit` records; moves the reader on.
    pub async fn next_page(&mut self, limit: i32) -> Result<Page, ReadError> {
        // TODO 5: read one page at the current iterator, count the call, and move
        //   the reader on to the iterator the answer hands over (none: the shard
        //   is closed, see `is_open`); a call that fails leaves the reader where
        //   it was, to try again. A closed reader calls nothing and returns
        //   an empty page, caught up. Chapter: «Day 03 › When is a reader done?».
        //   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/client/struct.Client.html#method.get_records
        todo!("day 03: read one page")
    }

    // ANCHOR: read_until_caught_up
    /// Reads pages until the reader is caught up (an empty page at 0 ms
    /// behind) or the shard is closed, and returns every record read.
    ///
    /// An empty page alone does not mean the end: Kinesis may answer with no
    /// records while data lies further on, which `MillisBehindLatest` shows.
    ///
    /// A shard serves 5 `GetRecords` calls a second, shared by every reader:
    /// a page refused for that (`ProvisionedThroughputExceededException`) is
    /// read again after [`THROTTLED_READ_PAUSE`], up to
    /// [`MAX_THROTTLED_READS`] times in a row; any other failure ends the
    /// read with its error.
    pub async fn read_until_caught_up(
        &mut self,
        limit: i32,
    ) -> Result<Vec<DecodedRecord>, ReadError> {
        // TODO 6: read page after page, keeping every record, until the reader
        //   is caught up or the shard is closed. An empty page is not the end by
        //   itself, and a throttled page is not a failure: wait, then read it
        //   again (see the doc comment; the reader kept its place).
        //   Chapter: «Day 03 › When is a reader done?».
        todo!("day 03: read until caught up")
    }
    // ANCHOR_END: read_until_caught_up
}
