//! # Day 02 — put records
//!
//! A producer turns events into Kinesis records (a partition key and a blob
//! of bytes) and sends them. Two calls do it:
//!
//! - `PutRecord`: one record, one round trip. Simple, and slow at volume.
//! - `PutRecords`: up to 500 records and, by default, 5 MiB in one call. Fast, but the
//!   call can *partly* fail: Kinesis stores some records and refuses others
//!   (typically `ProvisionedThroughputExceededException` when a shard is
//!   over its write limit), and says which in the answer. A producer that
//!   only checks that the call succeeded silently loses those records.
//!
//! The partition key decides the shard: Kinesis hashes it (MD5) into the
//! 128-bit key space that the shards split between them. Records with the
//! same key stay in order on one shard; a constant key pins *every* record
//! to one shard, whatever the stream's size.
//!
//! Work through the `TODO`s from top to bottom, then run `just check 02`.
//! The chapter "Day 02" of the book explains each step; `just hint 02` gives
//! a hint, one level at a time.

use std::ops::Range;
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::operation::put_records::PutRecordsOutput;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use pitlane::aws::KinesisError;
use pitlane::sensors::SensorReading;

/// At most this many records in one `PutRecords` call.
pub const MAX_RECORDS_PER_CALL: usize = 500;
/// At most this many bytes (data and partition keys) in one `PutRecords` call,
/// by default (a stream can opt in to 10 MiB records and calls).
pub const MAX_BYTES_PER_CALL: usize = 5 * 1024 * 1024;
/// At most this many bytes (data and partition key) in one record, by
/// default.
pub const MAX_BYTES_PER_RECORD: usize = 1024 * 1024;
/// A partition key has 1 to 256 characters.
pub const MAX_PARTITION_KEY_LENGTH: usize = 256;

/// A record ready to send. Build it with [`Outgoing::new`], which checks
/// Kinesis's limits, so that a record that cannot be sent is refused here,
/// with a clear error, rather than failing a whole call later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    partition_key: String,
    data: Vec<u8>,
}

impl Outgoing {
    pub fn new(partition_key: impl Into<String>, data: Vec<u8>) -> Result<Self, ProduceError> {
        // TODO 1: accept only a record Kinesis would accept (the limits are the
        //   constants above: a key's length is counted in characters, a record's
        //   size in bytes, key included), and refuse any other with the matching
        //   `ProduceError`, so a bad record fails here and not a whole call later.
        //   Chapter: «Day 02 › One at a time, or in batches».
        let partition_key = partition_key.into();
        todo!("day 02: validate the record")
    }

    pub fn partition_key(&self) -> &str {
        &self.partition_key
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// What the record counts for against Kinesis's size limits: its data
    /// *and* its partition key.
    pub fn size(&self) -> usize {
        self.partition_key.len() + self.data.len()
    }

    fn to_entry(&self) -> PutRecordsRequestEntry {
        PutRecordsRequestEntry::builder()
            .partition_key(&self.partition_key)
            .data(Blob::new(self.data.clone()))
            .build()
            .expect("partition key and data are set")
    }
}

/// Where Kinesis stored a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub shard_id: String,
    pub sequence_number: String,
}

/// What [`put_all`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutReport {
    /// Records stored.
    pub records: usize,
    /// `PutRecords` calls made, retries included.
    pub calls: usize,
    /// Records sent again because Kinesis refused them: a record sent three
    /// times counts twice.
    pub retried: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    #[error("a partition key needs 1 to 256 characters, this one has {length}")]
    InvalidPartitionKey { length: usize },
    #[error(
        "record with partition key {partition_key:?} is {size} bytes; a stream takes at most 1 MiB by default"
    )]
    TooLarge { partition_key: String, size: usize },
    #[error("could not encode the event as JSON: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("{} record(s) not stored: Kinesis still refused records after {attempts} attempts (last error: {last_error})", unsent.len())]
    GaveUp {
        /// The records still refused by the last attempt (and, from
        /// [`put_all`], those of every call not made yet).
        unsent: Vec<Outgoing>,
        /// The attempts made, the first one included.
        attempts: u32,
        /// The error code of the first refused record in the last answer,
        /// such as `ProvisionedThroughputExceededException` (`unknown` if the
        /// answer has none).
        last_error: String,
    },
    #[error("a PutRecords call failed; {} record(s) not sent: {source}", unsent.len())]
    CallFailed {
        /// The records of the failed call (and, from [`put_all`], of every
        /// call not made yet).
        unsent: Vec<Outgoing>,
        #[source]
        source: KinesisError,
    },
    #[error(transparent)]
    Kinesis(#[from] KinesisError),
}

impl ProduceError {
    /// The records this error left unsent, for the caller to keep or retry
    /// later: a failed put never makes records vanish.
    pub fn unsent(&self) -> &[Outgoing] {
        match self {
            ProduceError::GaveUp { unsent, .. } | ProduceError::CallFailed { unsent, .. } => unsent,
            _ => &[],
        }
    }
}

/// The partition key of a reading: its sensor. Readings of one sensor then
/// stay in order on one shard, and many sensors spread over all shards.
pub fn partition_key(reading: &SensorReading) -> String {
    // TODO 2: key each reading by the sensor that sent it: one sensor's readings
    //   then stay in order on one shard, and the sensors spread over the shards.
    //   Chapter: «Day 02 › Choosing the partition key».
    todo!("day 02: choose the partition key")
}

/// A reading as a record: its JSON, keyed by [`partition_key`].
pub fn encode(reading: &SensorReading) -> Result<Outgoing, ProduceError> {
    // TODO 3: make a reading a record: its JSON as the data, keyed by
    //   `partition_key`, with the limits checked; a reading that cannot be
    //   encoded is a `ProduceError::Encode`.
    //   Docs: https://docs.rs/serde_json/latest/serde_json/
    todo!("day 02: encode a reading")
}

// ANCHOR: plan_calls
/// Splits `records` into consecutive runs that each fit one `PutRecords`
/// call: at most [`MAX_RECORDS_PER_CALL`] records and [`MAX_BYTES_PER_CALL`]
/// bytes. Greedy: each run takes as many records as fit.
pub fn plan_calls(records: &[Outgoing]) -> Vec<Range<usize>> {
    // TODO 4: split the records, in order, into as few calls as the two limits
    //   allow (a record counts for its `size()`): a run ends only when the next
    //   record would not fit, so a call may be filled up to exactly a limit.
    //   No records need no call. Chapter: «Day 02 › One at a time, or in batches».
    todo!("day 02: plan the PutRecords calls")
}
// ANCHOR_END: plan_calls

/// The records of `sent` that Kinesis refused, according to its answer.
///
/// The answer has one entry per record sent, in the same order; a refused
/// record's entry has an `error_code` instead of a sequence number.
pub fn refused_records(sent: &[Outgoing], answer: &PutRecordsOutput) -> Vec<Outgoing> {
    // TODO 5: find the records Kinesis did not store, from the per-record
    //   results of its answer (see the doc comment): a call that succeeds can
    //   still have refused some. Chapter: «Day 02 › One at a time, or in batches».
    //   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/types/struct.PutRecordsResultEntry.html
    todo!("day 02: find the refused records")
}

/// How [`put_all`] retries refused records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all for one call's records, the first one included.
    pub max_attempts: u32,
    /// The upper bound of the first retry's delay; it doubles each retry.
    pub base_delay: Duration,
    /// No delay is longer than this.
    pub max_delay: Duration,
}

/// Six attempts, the first retry within 50 ms, no wait over 2 s: the whole
/// system uses these (the producer here, the consumers of days 04 and 09).
/// A record still refused after the sixth attempt has waited 1.55 s at most
/// (50 + 100 + 200 + 400 + 800 ms, about half that on average) before it is
/// handed back: short enough for a Lambda batch, long enough to outlast a
/// moment of throttling.
impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// `max_attempts` in all with no waiting in between: for tests that
    /// count attempts and do not want to wait for them.
    pub fn immediate(max_attempts: u32) -> Self {
        Self { max_attempts, base_delay: Duration::ZERO, max_delay: Duration::ZERO }
    }

    /// The delay before retry number `retry` (1 for the first retry).
    ///
    /// "Full jitter": a random delay between zero and an exponentially
    /// growing bound. Without the randomness, every producer throttled at
    /// the same moment would retry at the same moment, and be throttled
    /// again together.
    pub fn backoff(&self, retry: u32) -> Duration {
        // TODO 6: exponential backoff with full jitter: a random delay from zero
        //   up to a bound that starts at `base_delay`, doubles with each retry and
        //   never exceeds `max_delay` (see the fields). Any `retry` must work:
        //   retry 40 must neither overflow nor panic.
        //   Chapter: «Day 02 › Retry the refused records, and only those».
        todo!("day 02: compute the backoff delay")
    }
}

/// Puts one record with `PutRecord` and says where it went.
pub async fn put_one(
    client: &Client,
    stream: &str,
    record: &Outgoing,
) -> Result<Receipt, ProduceError> {
    // TODO 7: store one record with PutRecord and report where Kinesis put it
    //   (shard and sequence number); a failed call is a `ProduceError::Kinesis`.
    //   Chapter: «Day 02 › One at a time, or in batches».
    //   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/operation/put_record/builders/struct.PutRecordFluentBuilder.html
    todo!("day 02: put one record")
}

// ANCHOR: put_batch
/// Puts the records of one planned call, retrying the refused ones (and only
/// those) with [`RetryPolicy::backoff`] until all are stored or the attempts
/// run out. Returns the number of calls made and of records retried.
pub async fn put_batch(
    client: &Client,
    stream: &str,
    records: Vec<Outgoing>,
    policy: &RetryPolicy,
) -> Result<PutReport, ProduceError> {
    // TODO 8: the heart of the day. Send the records in one PutRecords call,
    //   then again only those refused (resending stored ones would store them
    //   twice), after a backoff, within `policy.max_attempts` attempts. Lose
    //   nothing: a failed call or a last refusal hands the unsent records back in
    //   the error (see `ProduceError`). Chapter: «Day 02 › One at a time, or in batches».
    //   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/operation/put_records/builders/struct.PutRecordsFluentBuilder.html
    todo!("day 02: put a batch, retrying refused records")
}
// ANCHOR_END: put_batch

/// Puts every record, in as few `PutRecords` calls as the limits allow.
///
/// On failure the error carries every record that was not stored (those of
/// the failing call and of all the calls not made yet), so nothing is lost.
pub async fn put_all(
    client: &Client,
    stream: &str,
    records: Vec<Outgoing>,
    policy: &RetryPolicy,
) -> Result<PutReport, ProduceError> {
    // TODO 9: put each planned call's records with `put_batch` and add up the
    //   reports. When a batch fails, the calls not made yet are unsent too: the
    //   error must carry their records as well (see the doc comment above).
    todo!("day 02: put every record")
}
