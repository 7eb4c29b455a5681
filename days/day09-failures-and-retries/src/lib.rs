//! # Day 09 — failures, retries and idempotency
//!
//! Day 07 counts every fan once, as long as nothing goes wrong. On AWS
//! things do go wrong, all the time and in three different ways, and each
//! needs its own answer:
//!
//! | what fails | example | what to do |
//! |---|---|---|
//! | the **record** | not JSON, an unknown driver, 5,000 bytes of junk | it will never succeed: set it aside in a *dead-letter table*, with the reason, and go on |
//! | the **moment** | throttling, a 500, a timeout | it will probably succeed soon: retry, with exponential backoff and jitter, a bounded number of times |
//! | the **set-up** | a missing table, a missing permission | no record can succeed until a person fixes it: stop and report |
//!
//! A record this function cannot handle must never block its shard (every
//! record behind it would wait) and must never vanish (a vote would be lost
//! without a trace). So a poison record costs one write to the dead-letter
//! table, and a record that keeps failing for a transient reason is
//! reported with `batchItemFailures`: the event-source mapping retries the
//! batch from that record, bisects it, and after `MaximumRetryAttempts`
//! sends its position to the on-failure destination.
//!
//! Every retry repeats writes, so every write must be idempotent: a vote is
//! counted by day 07's conditional transaction (a vote seen before is a
//! duplicate, not a second count), and a dead letter's key is the record's
//! `eventID` — the same record dead-lettered twice is one item.
//!
//! Work through the `TODO`s from top to bottom, then run `just check 09`.
//! The chapter "Day 09" of the book explains each step; `just hint 09` gives
//! a hint, one level at a time.

pub mod lambda;

use std::collections::HashMap;
use std::future::Future;

use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use pitlane::aws::DynamoDbError;
use pitlane::lambda::{KinesisEvent, KinesisEventRecord};
use pitlane::votes::Vote;
use serde::Serialize;

// What the earlier days built (in the starter, your own code): day 02's
// backoff, day 06's vote check and day 07's exactly-once count.
pub use day02_put_records::RetryPolicy;
use day06_count_votes::decode_vote;
use day07_one_vote_per_user::{Outcome, VoteError, record_vote};

/// The environment variables that name the tables.
pub const VOTES_TABLE_ENV: &str = "VOTES_TABLE";
pub const RESULTS_TABLE_ENV: &str = "RESULTS_TABLE";
pub const DEAD_LETTERS_TABLE_ENV: &str = "DEAD_LETTERS_TABLE";

/// A vote is a few dozen bytes; anything larger than this is not one. The
/// largest vote the vote API can write is about 1.6 KB: a user of 256
/// control characters, which JSON escapes as 6 bytes each (`\u0001`).
pub const MAX_VOTE_BYTES: usize = 2048;

/// A dead letter keeps at most this much of the record's data. Kinesis
/// records go up to 1 MiB, DynamoDB items only to 400 KB; the dead letter
/// also names the record's shard and sequence number, so the whole record
/// can be read again from the stream while it is retained.
pub const MAX_KEPT_BYTES: usize = 64 * 1024;

/// The three tables: who voted (key `user`), the counts (key `driver`) and
/// the records set aside (key `eventId`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tables {
    pub votes: String,
    pub results: String,
    pub dead_letters: String,
}

impl Tables {
    /// The tables the environment names (`VOTES_TABLE`, `RESULTS_TABLE`,
    /// `DEAD_LETTERS_TABLE`, which `template.yaml` sets), or which one is
    /// missing.
    pub fn from_env() -> Result<Self, String> {
        let variable =
            |name: &str| std::env::var(name).map_err(|_| format!("set {name} to the table's name"));
        Ok(Self {
            votes: variable(VOTES_TABLE_ENV)?,
            results: variable(RESULTS_TABLE_ENV)?,
            dead_letters: variable(DEAD_LETTERS_TABLE_ENV)?,
        })
    }

    /// The two tables day 07's vote transaction writes to.
    fn counting(&self) -> day07_one_vote_per_user::Tables {
        day07_one_vote_per_user::Tables { votes: self.votes.clone(), results: self.results.clone() }
    }
}

/// Why a record can never be processed: stored with it as the dead
/// letter's `reason`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Poison {
    #[error("the record is {bytes} bytes; a vote is at most {MAX_VOTE_BYTES}")]
    TooLarge { bytes: usize },
    #[error("{0}")]
    NotAVote(String),
    #[error("DynamoDB refused the vote: {0}")]
    Refused(String),
}

// ANCHOR: read_vote
/// The vote in a record's data, or why it is poison. The size is checked
/// first: there is no point parsing a megabyte to find it is not a vote.
pub fn read_vote(data: &[u8]) -> Result<Vote, Poison> {
    // TODO 1: the vote, or why this record is poison: too large to be a vote
    //   (found without parsing it), or not a vote by day 06's check, with its
    //   reason. Poison is set aside, never retried: no retry makes a record
    //   valid. Chapter: «Day 09 › Three kinds of failure».
    todo!("day 09: read a record")
}
// ANCHOR_END: read_vote

/// What kind of failure a DynamoDB error is, which decides what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ErrorKind {
    /// Worth retrying: throttling, a server error, a conflicting
    /// transaction, a network problem (DynamoDB never answered, so the error
    /// has no code at all).
    Transient,
    /// The request built from this record is invalid (DynamoDB answers
    /// `ValidationException`, or cancels the transaction for none of the
    /// transient reasons): retrying cannot help, the record is dead-lettered.
    BadRecord,
    /// Nothing can succeed until the set-up is fixed (a missing table, a
    /// denied permission: any other error code): stop and report.
    Setup,
}

/// Error codes DynamoDB uses for "not now" that the SDK has no type for.
const TRANSIENT_CODES: &[&str] = &["ThrottlingException", "ServiceUnavailable"];

/// Reasons a transaction is cancelled for "not now" (one per write).
const TRANSIENT_CANCELLATIONS: &[&str] =
    &["ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"];

// ANCHOR: classify
/// Sorts a failed call into one of the three [`ErrorKind`]s.
pub fn classify(error: &DynamoDbError) -> ErrorKind {
    // TODO 2: decide what a failure calls for, by what DynamoDB said: the
    //   exceptions the SDK models by what each one means, a cancelled
    //   transaction by the reasons of its writes, any other answer by its
    //   error code (the constants above), and no answer at all. Mix them up
    //   and a shard blocks, a vote is lost, or the stream empties into the
    //   dead letters. Chapter: «Day 09 › Three kinds of failure»; docs:
    //   https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/enum.Error.html
    todo!("day 09: classify a failure")
}
// ANCHOR_END: classify

// ANCHOR: with_retries
/// Runs `call` until it succeeds, fails for a reason that is not
/// [`ErrorKind::Transient`], or has been tried `policy.max_attempts` times;
/// sleeps a jittered, doubling delay between attempts.
pub async fn with_retries<T, F, Fut>(policy: &RetryPolicy, mut call: F) -> Result<T, DynamoDbError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DynamoDbError>>,
{
    // TODO 3: try again only when it can help: a transient failure, with
    //   attempts left, after waiting the policy's jittered, doubling delay
    //   (day 02) so that consumers throttled together do not come back
    //   together. Any other outcome is returned at once.
    //   Chapter: «Day 09 › The retry ladder».
    todo!("day 09: retry what is transient")
}
// ANCHOR_END: with_retries

// ANCHOR: dead_letter_item
/// The dead-letter item for `record`: everything needed to understand the
/// failure and to replay the record once the cause is fixed. Its key is the
/// record's `eventID` (shard and sequence number), so setting the same record
/// aside twice leaves one item; every attribute comes from the record, none
/// from the clock, so the second write is identical to the first.
///
/// - `eventId` (string, the key): the record's event id, or its sequence
///   number when it has none;
/// - `reason` (string): the [`Poison`]'s message;
/// - `partitionKey` and `sequenceNumber` (strings): the record's;
/// - `dataBytes` (number): the length of the whole data;
/// - `data` (binary): the data, cut to its first [`MAX_KEPT_BYTES`] bytes;
/// - `eventSourceArn` (string): the stream, when the record names it.
pub fn dead_letter_item(
    record: &KinesisEventRecord,
    reason: &Poison,
) -> HashMap<String, AttributeValue> {
    // TODO 4: build the item described above from the record alone, so that
    //   a record set aside twice is written twice as the same item: the write
    //   is idempotent, as every write under at-least-once delivery must be.
    //   Chapter: «Day 09 › At least once, never exactly once», «Day 09 ›
    //   Poison goes to the dead-letter table»; docs:
    //   https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/types/enum.AttributeValue.html
    todo!("day 09: the dead-letter item")
}
// ANCHOR_END: dead_letter_item

/// What the function needs: a client, the tables, and how hard to retry.
#[derive(Clone, Debug)]
pub struct Consumer {
    pub client: Client,
    pub tables: Tables,
    pub retry: RetryPolicy,
}

/// What happened to one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Processed {
    Counted,
    Duplicate,
    DeadLettered,
}

/// Sets `record` aside in the dead-letter table, retrying transient failures.
pub async fn dead_letter(
    consumer: &Consumer,
    record: &KinesisEventRecord,
    reason: &Poison,
) -> Result<(), DynamoDbError> {
    tracing::warn!(seq = %record.kinesis.sequence_number, %reason, "record dead-lettered");
    let item = dead_letter_item(record, reason);
    with_retries(&consumer.retry, || async {
        consumer
            .client
            .put_item()
            .table_name(&consumer.tables.dead_letters)
            .set_item(Some(item.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(DynamoDbError::from)
    })
    .await
}

// ANCHOR: process
/// One record: counted, found a duplicate, or dead-lettered — or an error
/// that means "try this record again later".
pub async fn process(
    consumer: &Consumer,
    record: &KinesisEventRecord,
) -> Result<Processed, DynamoDbError> {
    // TODO 5: send the record down its path: poison is dead-lettered; a vote
    //   is counted once by day 07's transaction, retried while the failure is
    //   transient; a vote DynamoDB refuses as invalid is poison too
    //   (`Poison::Refused`). Any other failure is returned, so the record is
    //   tried again later. Chapter: «Day 09 › Poison goes to the dead-letter table».
    todo!("day 09: process one record")
}
// ANCHOR_END: process

/// What [`handle`] did with one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BatchSummary {
    pub counted: usize,
    pub duplicates: usize,
    pub dead_lettered: usize,
}

// ANCHOR: handle
/// The Lambda handler (with `ReportBatchItemFailures`): each record in
/// order; the first one that still fails after its retries is reported, and
/// nothing after it is attempted — the mapping redelivers from there, so the
/// shard's order holds.
pub async fn handle(consumer: &Consumer, event: KinesisEvent) -> KinesisEventResponse {
    // TODO 6: process the records in order, counting what became of them.
    //   The first one that still fails is reported as the batch's item
    //   failure and nothing after it is attempted, or the shard's order is
    //   lost. Log why it failed, and at the end the batch's `BatchSummary`
    //   (its `Debug` form, as a field of one `tracing` event).
    //   Chapter: «Day 09 › The retry ladder» (rung 3).
    todo!("day 09: process the batch")
}
// ANCHOR_END: handle

/// Creates the three tables (on-demand capacity).
pub async fn create_tables(
    client: &Client,
    tables: &Tables,
) -> Result<(), pitlane::dynamodb::TableError> {
    day07_one_vote_per_user::create_tables(client, &tables.counting()).await?;
    pitlane::dynamodb::create_table(client, &tables.dead_letters, "eventId").await
}
