//! # Day 07 — one vote per user
//!
//! Two things make day 06's counts wrong: a fan who votes twice is counted
//! twice, and a batch delivered twice (Kinesis delivers *at least once*) is
//! counted twice.
//!
//! The classic fix runs two independent consumers: one records who voted
//! ("dedupe"), the other counts. They read the same records at their own
//! pace, so the counter has no way to know whether a vote was a duplicate:
//! duplicates are still counted.
//!
//! The fix that works makes *accepting* a vote and *counting* it one atomic
//! step, a DynamoDB transaction of two writes:
//!
//! 1. put `{"user": "fan-0042", "vote": "NOR", ...}` into the `Votes` table
//!    **on condition** that no item for that user exists;
//! 2. `ADD votes 1` to the driver's item in the `Results` table.
//!
//! Both happen or neither does. A second vote by the same fan fails the
//! condition, the whole transaction is cancelled, and the count is
//! untouched — and so is a vote delivered again in a retried batch. The
//! count becomes *exactly once* although the delivery is at least once.
//!
//! A write that fails for another reason (throttling, a network error) is
//! reported with `batchItemFailures`: the event-source mapping then
//! redelivers the batch from that record on, and the records already
//! accepted are simply found to be duplicates.
//!
//! Work through the `TODO`s from top to bottom, then run `just check 07`.
//! The chapter "Day 07" of the book explains each step; `just hint 07` gives
//! a hint, one level at a time.

pub mod lambda;

use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use pitlane::aws::DynamoDbError;
use pitlane::lambda::KinesisEvent;
use pitlane::votes::Vote;
use serde::Serialize;

/// The environment variables that name the tables.
pub const VOTES_TABLE_ENV: &str = "VOTES_TABLE";
pub const RESULTS_TABLE_ENV: &str = "RESULTS_TABLE";

/// The two tables: who voted (key `user`) and the counts (key `driver`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tables {
    pub votes: String,
    pub results: String,
}

/// What happened to one vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// The fan's first vote: accepted and counted.
    Counted,
    /// The fan had voted already (or this very vote was delivered before):
    /// nothing changed.
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum VoteError {
    #[error(transparent)]
    DynamoDb(#[from] DynamoDbError),
}

/// The vote in a record's data, or the reason it is not a valid vote: day
/// 06's check, reused (see `crates/pitlane/src/lib.rs`).
pub use day06_count_votes::decode_vote;

// ANCHOR: vote_transaction
/// The two writes that accept and count `vote`, as one transaction, in this
/// order (DynamoDB reports the cancellation reasons in the same order):
///
/// 1. the fan's item in `tables.votes` — `user`, `vote`, `votedAt` (RFC 3339)
///    and `sequenceNumber` (the record's), all strings — written only if that
///    fan has no item yet;
/// 2. one vote more on the driver's item in `tables.results` (`votes`, and
///    `updatedAt` set to the current time), as on day 06.
pub fn vote_transaction(
    tables: &Tables,
    vote: &Vote,
    sequence_number: &str,
) -> Vec<TransactWriteItem> {
    // TODO 1: build the two writes described above, the first one
    //   conditional on the fan having no vote yet. In one transaction they
    //   apply together or not at all, so a refused vote is never counted: that
    //   makes the count exactly once. Mind DynamoDB's reserved words.
    //   Chapter: «Day 07 › Accept and count in one step»; docs:
    //   https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/types/struct.TransactWriteItem.html
    todo!("day 07: the vote transaction")
}
// ANCHOR_END: vote_transaction

// ANCHOR: record_vote
/// Accepts and counts `vote` in one transaction, or finds it a duplicate.
pub async fn record_vote(
    client: &Client,
    tables: &Tables,
    vote: &Vote,
    sequence_number: &str,
) -> Result<Outcome, VoteError> {
    // TODO 2: send the transaction and say what became of the vote: applied,
    //   it was counted; cancelled because the fan had voted already, it is a
    //   duplicate — an outcome, not an error; any other failure is an error,
    //   so the batch is retried instead of the vote being lost.
    //   Chapter: «Day 07 › Accept and count in one step»; docs:
    //   https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/client/struct.Client.html#method.transact_write_items
    todo!("day 07: record one vote")
}
// ANCHOR_END: record_vote

// ANCHOR: failed_the_condition
/// Whether a transaction was cancelled because its first write (the vote)
/// failed its condition: the fan had voted already. DynamoDB gives one
/// cancellation reason per write, in order; a failed condition has the code
/// `ConditionalCheckFailed`.
fn failed_the_condition<R>(err: &SdkError<TransactWriteItemsError, R>) -> bool {
    // TODO 3: tell a duplicate from every other failure. DynamoDB cancels a
    //   transaction for many reasons (a conflict, throttling: see the suite);
    //   only the *vote's* condition failing means the fan had voted. Mistake
    //   anything else for a duplicate and a vote vanishes uncounted.
    //   Chapter: «Day 07 › When a write fails»; docs:
    //   https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/types/error/struct.TransactionCanceledException.html
    todo!("day 07: recognise a duplicate")
}
// ANCHOR_END: failed_the_condition

/// What [`handle`] did with one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BatchSummary {
    pub counted: usize,
    pub duplicates: usize,
    pub rejected: usize,
}

// ANCHOR: handle
/// The Lambda handler (with `ReportBatchItemFailures`): each record in order;
/// on the first write that fails, report that record and stop — the mapping
/// redelivers from there.
pub async fn handle(
    client: &Client,
    tables: &Tables,
    event: KinesisEvent,
) -> Result<KinesisEventResponse, VoteError> {
    // TODO 4: record the batch's votes in order, logging and skipping the
    //   invalid ones (day 06's check). At the first vote that cannot be
    //   recorded, report that record as the batch's item failure and stop: the
    //   mapping redelivers from there, and what was recorded already comes
    //   back as duplicates. No failure reported means the whole batch is done.
    //   At the end, log the batch's `BatchSummary` (its `Debug` form, as a
    //   field of one `tracing` event): it is the operators' view of the batch.
    //   Chapter: «Day 07 › When a write fails»; docs:
    //   https://docs.rs/aws_lambda_events/latest/aws_lambda_events/event/streams/struct.KinesisEventResponse.html
    todo!("day 07: the handler")
}
// ANCHOR_END: handle

/// Creates both tables: `Votes` keyed by `user`, `Results` keyed by
/// `driver`, on-demand capacity.
pub async fn create_tables(
    client: &Client,
    tables: &Tables,
) -> Result<(), pitlane::dynamodb::TableError> {
    pitlane::dynamodb::create_table(client, &tables.votes, "user").await?;
    pitlane::dynamodb::create_table(client, &tables.results, "driver").await
}
