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
//~! a nudge.

pub mod lambda;

use std::collections::BTreeMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use pitlane::aws::DynamoDbError;
use pitlane::lambda::{KinesisEvent, KinesisEventRecord};
use pitlane::votes::{Vote, is_driver};
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

/// The vote in a record's data, or the reason it is not a valid vote: not
/// JSON or not a vote (`not a vote: ...`), a driver not on the grid, or no
/// user. The later days check their votes with this function.
pub fn decode_vote(data: &[u8]) -> Result<Vote, String> {
    //~ TODO 1: parse `data` into a `Vote` with
    //~   `serde_json::from_slice` (error → `format!("not a vote: {e}")`);
    //~   then refuse a driver that `is_driver` does not know
    //~   (`format!("unknown driver {:?}", vote.vote)`) and a blank user
    //~   ("the vote has no user").
    // solution: todo!("day 06: decode a vote")
    let vote: Vote = serde_json::from_slice(data).map_err(|e| format!("not a vote: {e}"))?;
    if !is_driver(&vote.vote) {
        return Err(format!("unknown driver {:?}", vote.vote));
    }
    if vote.user.trim().is_empty() {
        return Err("the vote has no user".to_owned());
    }
    Ok(vote)
    // end solution
}

/// Counts the batch's votes per driver, setting rejected records aside.
pub fn tally(records: &[KinesisEventRecord]) -> Tally {
    //~ TODO 2: for each record, `decode_vote`: add 1 to the driver's entry
    //~   of `counts` (`*counts.entry(driver).or_default() += 1`), or push a
    //~   `Rejection` with the record's sequence number and the reason.
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

// ANCHOR: add_votes
/// Adds `votes` to `driver`'s count, creating the item on its first vote:
/// `ADD` is atomic, so concurrent consumers never lose an update.
pub async fn add_votes(
    client: &Client,
    table: &str,
    driver: &str,
    votes: u64,
) -> Result<(), CountError> {
    //~ TODO 3: `client.update_item()` on `table`, key `driver` (a string),
    //~   update expression "ADD votes :votes SET updatedAt = :now", with
    //~   `:votes` a number (`AttributeValue::N(votes.to_string())`) and `:now`
    //~   the current time as RFC 3339 text. `ADD` creates the item (and the
    //~   attribute) on the first vote. Errors: `.map_err(DynamoDbError::from)?`.
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
    //~ TODO 4: `tally` the batch; log each rejection with `tracing::warn!`
    //~   (its sequence number and reason); `add_votes` once per driver of the
    //~   tally; return the summary: votes counted, writes made, rejections.
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
pub async fn create_table(client: &Client, table: &str) -> Result<(), DynamoDbError> {
    pitlane::dynamodb::create_table(client, table, "driver").await
}
