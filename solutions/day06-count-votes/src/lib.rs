//! # Day 06 — count the votes
//!
//! Each Kinesis record is one fan's vote, `{"vote": "NOR", "user": "fan-0042",
//! "votedAt": "..."}`. This consumer adds them up in a `Results` table: one
//! item per driver, `{"driver": "NOR", "votes": 1234, "updatedAt": "..."}`.
//!
//! The naive consumer writes once per vote: 100 votes, 100 `UpdateItem`
//! calls. A batch is a gift: count it in memory first, then write **once
//! per driver** with DynamoDB's atomic `ADD`, which many consumers can apply
//! concurrently without reading first. 100 votes for 22 drivers are at most
//! 22 writes, usually far fewer.
//!
//! A record that is not a valid vote (not JSON, not a vote, a driver who is
//! not on the grid) is *rejected*: logged with its reason and counted in the
//! summary, never counted as a vote, and never a reason to fail the batch.
//!
//! What this consumer does not do: notice a fan voting twice, or a batch
//! delivered twice. Kinesis delivers at least once, so a retried batch is
//! counted again. Day 07 fixes both.
//~!
//~! Work through the `TODO`s from top to bottom, then run `just check 06`.
//~! The chapter "Day 06" of the book explains each step; `just hint 06` gives
//~! a hint, one level at a time.

pub mod lambda;

use std::collections::BTreeMap;

use aws_sdk_dynamodb::Client;
// solution:
use aws_sdk_dynamodb::types::AttributeValue;
// end solution
use pitlane::aws::DynamoDbError;
use pitlane::lambda::{KinesisEvent, KinesisEventRecord};
use pitlane::votes::{MAX_USER_CHARS, Vote, is_driver};
use serde::Serialize;

/// The environment variable that names the results table.
pub const TABLE_ENV: &str = "RESULTS_TABLE";

/// A record that is not a valid vote, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub sequence_number: String,
    pub reason: String,
}

/// A batch counted in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Votes per driver id, in id order.
    pub counts: BTreeMap<String, u64>,
    pub rejected: Vec<Rejection>,
}

/// What [`handle`] did with one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BatchSummary {
    /// Votes counted.
    pub counted: u64,
    /// `UpdateItem` calls made: one per driver voted for in the batch.
    pub writes: usize,
    /// Records rejected.
    pub rejected: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CountError {
    #[error(transparent)]
    DynamoDb(#[from] DynamoDbError),
}

// ANCHOR: decode_vote
/// The vote in a record's data, or the reason it is not a valid vote. The
/// reasons, word for word (the logs and the tests read them):
///
/// - not JSON, or JSON not shaped like a [`Vote`]: `not a vote: ` followed by
///   the parser's own error message (`not a vote: EOF while parsing ...`);
/// - a driver who is not on the grid: `unknown driver "XYZ"` (the id as
///   `{:?}` prints it, quoted);
/// - a blank user (empty or only spaces): `the vote has no user`;
/// - a user longer than [`MAX_USER_CHARS`] UTF-16 code units:
///   `the user is longer than 256 characters`. No producer of this stack
///   writes one, but any other could, and day 07 keys a table on the user.
///
/// The later days check their votes with this function.
pub fn decode_vote(data: &[u8]) -> Result<Vote, String> {
    //~ TODO 1: turn a record's bytes into a `Vote`, or into the reason it is
    //~   not one (the reasons above, checked in that order). A consumer trusts
    //~   nothing it reads: anyone can put any bytes on a stream, and a reason
    //~   in the logs is what lets someone find the bad record later.
    //~   Chapter: «Day 06 › Bad votes»; docs: https://docs.rs/serde_json/latest/serde_json/
    // solution: todo!("day 06: decode a vote")
    let vote: Vote = serde_json::from_slice(data).map_err(|e| format!("not a vote: {e}"))?;
    if !is_driver(&vote.vote) {
        return Err(format!("unknown driver {:?}", vote.vote));
    }
    if vote.user.trim().is_empty() {
        return Err("the vote has no user".to_owned());
    }
    if vote.user.encode_utf16().count() > MAX_USER_CHARS {
        return Err(format!("the user is longer than {MAX_USER_CHARS} characters"));
    }
    Ok(vote)
    // end solution
}
// ANCHOR_END: decode_vote

// ANCHOR: tally
/// Counts the batch's votes per driver, setting rejected records aside.
pub fn tally(records: &[KinesisEventRecord]) -> Tally {
    //~ TODO 2: count the batch in memory: every valid record is one more vote
    //~   for its driver, every invalid one a `Rejection` saying which record and
    //~   why. Never fail: a retry would not make a bad record valid. Counting
    //~   first is what lets the handler write once per driver, not per vote.
    //~   Chapter: «Day 06 › One write per driver, not per vote», «Day 06 › Bad votes».
    // solution: todo!("day 06: tally a batch")
    let mut tally = Tally::default();
    for record in records {
        match decode_vote(&record.kinesis.data) {
            Ok(vote) => *tally.counts.entry(vote.vote).or_default() += 1,
            Err(reason) => tally.rejected.push(Rejection {
                sequence_number: record.kinesis.sequence_number.clone(),
                reason,
            }),
        }
    }
    tally
    // end solution
}
// ANCHOR_END: tally

// ANCHOR: add_votes
/// Adds `votes` to `driver`'s count, creating the item on its first vote:
/// `ADD` is atomic, so concurrent consumers never lose an update.
pub async fn add_votes(
    client: &Client,
    table: &str,
    driver: &str,
    votes: u64,
) -> Result<(), CountError> {
    //~ TODO 3: in ONE request, add `votes` to the driver's `votes` number and
    //~   stamp `updatedAt` with the current time (RFC 3339), creating the item
    //~   (shape at the top of this file) on the driver's first vote. An atomic
    //~   add needs no read first, so concurrent consumers never lose a vote.
    //~   Chapter: «Day 06 › One write per driver, not per vote»; docs:
    //~   https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/operation/update_item/builders/struct.UpdateItemFluentBuilder.html
    // solution: todo!("day 06: add votes to a driver")
    client
        .update_item()
        .table_name(table)
        .key("driver", AttributeValue::S(driver.to_owned()))
        .update_expression("ADD votes :votes SET updatedAt = :now")
        .expression_attribute_values(":votes", AttributeValue::N(votes.to_string()))
        .expression_attribute_values(":now", AttributeValue::S(chrono::Utc::now().to_rfc3339()))
        .send()
        .await
        .map_err(DynamoDbError::from)?;
    Ok(())
    // end solution
}
// ANCHOR_END: add_votes

// ANCHOR: handle
/// The Lambda handler: tally the batch, then one write per driver.
pub async fn handle(
    client: &Client,
    table: &str,
    event: KinesisEvent,
) -> Result<BatchSummary, CountError> {
    //~ TODO 4: handle one batch with as few writes as possible: count it, log
    //~   each rejection (which record, why) as a warning an operator can find,
    //~   write each driver's count once, and report it all in a `BatchSummary`.
    //~   The test counts the `UpdateItem` calls.
    //~   Chapter: «Day 06 › One write per driver, not per vote».
    // solution: todo!("day 06: the handler")
    let tally = tally(&event.records);
    for rejection in &tally.rejected {
        tracing::warn!(seq = %rejection.sequence_number, reason = %rejection.reason, "vote rejected");
    }
    for (driver, votes) in &tally.counts {
        add_votes(client, table, driver, *votes).await?;
    }
    Ok(BatchSummary {
        counted: tally.counts.values().sum(),
        writes: tally.counts.len(),
        rejected: tally.rejected.len(),
    })
    // end solution
}
// ANCHOR_END: handle

/// Creates the results table: partition key `driver`, on-demand capacity.
pub async fn create_table(
    client: &Client,
    table: &str,
) -> Result<(), pitlane::dynamodb::TableError> {
    pitlane::dynamodb::create_table(client, table, "driver").await
}
