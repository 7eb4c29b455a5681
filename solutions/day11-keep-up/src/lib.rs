//! # Day 11 — keep up with the last lap
//!
//! Day 09's consumer is correct and slow: one transaction per vote, one
//! after another. Each call is a round trip of 5–10 ms on AWS, so a shard's
//! batch of 100 votes takes about a second, and a shard takes in up to 1,000
//! records a second. When the race ends and everyone votes at once, the
//! consumer falls behind by minutes. And every counted vote writes its
//! driver's single `Results` item: a transactional write costs 2 write units
//! and one item takes at most 1,000 a second, so a popular driver's item
//! takes at most 500 of its votes a second (833 votes in all when it has
//! 60 % of them), however many shards there are.
//!
//! This consumer splits day 07's transaction in two steps, each of them
//! safe to repeat:
//!
//! 1. **accept**, concurrently: each vote is one conditional put into
//!    `Votes`, the fan's first vote wins. Records of one partition key (one
//!    fan) stay in order, in a *lane*; up to `concurrency` lanes run at once.
//! 2. **count**, together: the accepted votes are marked `counted` on their
//!    `Votes` item and added to their drivers' totals, in as few transactions
//!    as fit: one `ADD` per driver per transaction, whatever its share.
//!
//! A vote accepted but not yet counted is *pending*: its `Votes` item names
//! the record's sequence number and has no `counted` mark. A crash between
//! the two steps leaves it so, and the redelivered record finds it: its own
//! sequence number, not counted yet, so it is counted now — once, because
//! the mark and the count are one transaction.
//~!
//~! Work through the `TODO`s from top to bottom, then run `just check 11`.
//~! The chapter "Day 11" of the book explains each step; `just hint 11` gives
//~! a hint, one level at a time.

pub mod lambda;

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_sdk_dynamodb::types::TransactWriteItem;
// solution:
use aws_sdk_dynamodb::types::{AttributeValue, Update};
// end solution
use futures::StreamExt;
use pitlane::aws::DynamoDbError;
use pitlane::lambda::{KinesisEvent, KinesisEventRecord};
use pitlane::votes::Vote;
use serde::Serialize;

// What the earlier days built (in the starter, your own code): day 09's
// poison check, dead letters, error classes and retries — and through them
// day 02's backoff and day 06's vote check.
pub use day09_failures_and_retries_solution::{
    Consumer, DEAD_LETTERS_TABLE_ENV, ErrorKind, Poison, RESULTS_TABLE_ENV, RetryPolicy, Tables,
    VOTES_TABLE_ENV, create_tables,
};
use day09_failures_and_retries_solution::{classify, dead_letter, read_vote, with_retries};

/// How many lanes (partition keys) are in flight at once. Each lane waits on
/// one DynamoDB call at a time, so this bounds the open calls: enough to hide
/// the round trips of a 100-record batch in two waves (`just bench` measured
/// 32 lanes at 44 ms a batch, 50 at 39 ms, with 5 ms a call), few enough that
/// one invocation of a large batch never opens thousands of connections.
pub const CONCURRENCY: usize = 50;

/// DynamoDB's limit on the actions of one `TransactWriteItems` call.
pub const MAX_TRANSACTION_ACTIONS: usize = 100;

/// What the conditional put found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Acceptance {
    /// Accepted now, or by an earlier delivery of this same record, and not
    /// counted yet: it must be counted.
    Pending,
    /// An earlier delivery of this record accepted *and* counted it.
    AlreadyCounted,
    /// The fan's vote came in another record first.
    Duplicate,
}

/// A vote accepted and waiting to be counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingVote {
    /// The record's position in the batch.
    pub index: usize,
    pub user: String,
    pub driver: String,
    pub sequence_number: String,
}

// ANCHOR: lanes
/// The batch's records grouped by partition key: one lane per key, each
/// holding the positions of that key's records in batch order. Lanes come in
/// the order of their first record.
pub fn lanes(records: &[KinesisEventRecord]) -> Vec<Vec<usize>> {
    //~ TODO 1: group the records' positions by partition key, keeping each
    //~   key's records in batch order. The vote API keys each record by its
    //~   fan, so one lane is one fan: lanes may run side by side, but inside
    //~   a lane the order decides which vote is the fan's first.
    //~   Chapter: «Day 11 › Order per key, not per shard».
    // solution: todo!("day 11: the lanes")
    let mut lane_of: HashMap<&str, usize> = HashMap::new();
    let mut lanes: Vec<Vec<usize>> = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let key = record.kinesis.partition_key.as_str();
        let lane = *lane_of.entry(key).or_insert_with(|| {
            lanes.push(Vec::new());
            lanes.len() - 1
        });
        lanes[lane].push(index);
    }
    lanes
    // end solution
}
// ANCHOR_END: lanes

// ANCHOR: accept
/// Step 1 for one vote: a conditional put of the fan's `Votes` item — `user`,
/// `vote`, `votedAt` (RFC 3339) and `sequenceNumber`, all strings, as on day
/// 07 — written only if the fan has no item yet. When the fan has one,
/// what it holds says which [`Acceptance`] this is.
pub async fn accept(
    consumer: &Consumer,
    vote: &Vote,
    sequence_number: &str,
) -> Result<Acceptance, DynamoDbError> {
    //~ TODO 2: put the fan's item unless the fan has one, and when the put is
    //~   refused, ask DynamoDB for the item that stood in the way (in the same
    //~   call: no second read). Its sequence number and its `counted` mark say
    //~   whether this record was accepted before — by an earlier delivery that
    //~   may have crashed before counting — or the fan voted in another record.
    //~   Never overwrite an existing item: a redelivery would erase its mark.
    //~   Chapter: «Day 11 › Accept first, count after»; docs:
    //~   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
    // solution: todo!("day 11: accept a vote")
    let put = consumer
        .client
        .put_item()
        .table_name(&consumer.tables.votes)
        .item("user", AttributeValue::S(vote.user.clone()))
        .item("vote", AttributeValue::S(vote.vote.clone()))
        .item("votedAt", AttributeValue::S(vote.voted_at.to_rfc3339()))
        .item("sequenceNumber", AttributeValue::S(sequence_number.to_owned()))
        .condition_expression("attribute_not_exists(#user)")
        .expression_attribute_names("#user", "user")
        .return_values_on_condition_check_failure(
            aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
        )
        .send()
        .await;
    let error = match put {
        Ok(_) => return Ok(Acceptance::Pending),
        Err(error) => DynamoDbError::from(error),
    };
    let aws_sdk_dynamodb::Error::ConditionalCheckFailedException(refused) = error.inner() else {
        return Err(error);
    };
    let old = refused.item();
    let same_record = old
        .and_then(|item| item.get("sequenceNumber"))
        .and_then(|seq| seq.as_s().ok())
        .is_some_and(|seq| seq == sequence_number);
    let counted = old.is_some_and(|item| item.contains_key("counted"));
    Ok(match (same_record, counted) {
        (false, _) => Acceptance::Duplicate,
        (true, false) => Acceptance::Pending,
        (true, true) => Acceptance::AlreadyCounted,
    })
    // end solution
}
// ANCHOR_END: accept

// ANCHOR: count_transaction
/// Step 2 for some pending votes, as one transaction: first, for each vote
/// in the order given, an update of its `Votes` item that sets `counted`
/// (the boolean `true`) only if the item still names the vote's sequence
/// number and has no `counted` yet; then, for each driver among them in
/// name order, one update of its `Results` item that adds that driver's
/// number of votes to `votes` and sets `updatedAt` to the current time.
pub fn count_transaction(tables: &Tables, votes: &[PendingVote]) -> Vec<TransactWriteItem> {
    //~ TODO 3: build the writes described above. The marks and the counts
    //~   apply together or not at all, so a vote is counted exactly when it is
    //~   marked; one update per driver, not per vote, is what lets a popular
    //~   driver's item keep up. Mind DynamoDB's reserved words.
    //~   Chapter: «Day 11 › One count per driver per batch»; docs:
    //~   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
    // solution: todo!("day 11: the count transaction")
    let mut per_driver: BTreeMap<&str, u64> = BTreeMap::new();
    for vote in votes {
        *per_driver.entry(vote.driver.as_str()).or_default() += 1;
    }
    let marks = votes.iter().map(|vote| {
        Update::builder()
            .table_name(&tables.votes)
            .key("user", AttributeValue::S(vote.user.clone()))
            .update_expression("SET counted = :true")
            .condition_expression("sequenceNumber = :seq AND attribute_not_exists(counted)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":seq", AttributeValue::S(vote.sequence_number.clone()))
            .build()
            .expect("table, key and expression are set")
    });
    let now = chrono::Utc::now().to_rfc3339();
    let counts = per_driver.into_iter().map(|(driver, votes)| {
        Update::builder()
            .table_name(&tables.results)
            .key("driver", AttributeValue::S(driver.to_owned()))
            .update_expression("ADD votes :n SET updatedAt = :now")
            .expression_attribute_values(":n", AttributeValue::N(votes.to_string()))
            .expression_attribute_values(":now", AttributeValue::S(now.clone()))
            .build()
            .expect("table, key and expression are set")
    });
    marks.chain(counts).map(|update| TransactWriteItem::builder().update(update).build()).collect()
    // end solution
}
// ANCHOR_END: count_transaction

/// The pending votes cut into groups that each fit one transaction: a
/// group's votes plus its distinct drivers are at most
/// [`MAX_TRANSACTION_ACTIONS`] actions. Groups keep the votes' order.
pub fn transaction_groups(votes: &[PendingVote]) -> Vec<&[PendingVote]> {
    let mut groups = Vec::new();
    let mut start = 0;
    let mut drivers: Vec<&str> = Vec::new();
    for (i, vote) in votes.iter().enumerate() {
        let new_driver = !drivers.contains(&vote.driver.as_str());
        let actions = (i - start) + drivers.len() + 1 + usize::from(new_driver);
        if actions > MAX_TRANSACTION_ACTIONS {
            groups.push(&votes[start..i]);
            start = i;
            drivers.clear();
        }
        if !drivers.contains(&vote.driver.as_str()) {
            drivers.push(&vote.driver);
        }
    }
    if start < votes.len() {
        groups.push(&votes[start..]);
    }
    groups
}

/// The positions, in the transaction, of the votes whose mark failed its
/// condition: another delivery of the same record counted them meanwhile.
fn counted_meanwhile(error: &DynamoDbError, votes: usize) -> Vec<usize> {
    let aws_sdk_dynamodb::Error::TransactionCanceledException(cancelled) = error.inner() else {
        return Vec::new();
    };
    cancelled
        .cancellation_reasons()
        .iter()
        .take(votes)
        .enumerate()
        .filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"))
        .map(|(i, _)| i)
        .collect()
}

// ANCHOR: count
/// Step 2: counts `votes` (pending, in batch order) in as few transactions
/// as fit, one after another. Returns how many were counted, or the error
/// and the position in the batch of the first vote not counted.
pub async fn count(
    consumer: &Consumer,
    votes: &[PendingVote],
) -> Result<usize, (DynamoDbError, usize)> {
    //~ TODO 4: send each group's transaction (the groups come from
    //~   `transaction_groups`), retrying what is transient. A transaction
    //~   cancelled because some marks failed their condition means another
    //~   delivery counted those votes meanwhile: send it again without them,
    //~   never count them twice (`counted_meanwhile` reads which). Any other
    //~   failure stops here and says where the batch must resume.
    //~   Chapter: «Day 11 › One count per driver per batch», «Day 11 › Every
    //~   crash point, walked through».
    // solution: todo!("day 11: count the pending votes")
    let mut counted = 0;
    for group in transaction_groups(votes) {
        let mut group = group.to_vec();
        while !group.is_empty() {
            let sent = with_retries(&consumer.retry, || async {
                consumer
                    .client
                    .transact_write_items()
                    .set_transact_items(Some(count_transaction(&consumer.tables, &group)))
                    .send()
                    .await
                    .map_err(DynamoDbError::from)
            })
            .await;
            match sent {
                Ok(_) => {
                    counted += group.len();
                    break;
                }
                Err(error) => {
                    let done = counted_meanwhile(&error, group.len());
                    if done.is_empty() {
                        return Err((error, group[0].index));
                    }
                    tracing::info!(votes = done.len(), "counted meanwhile by another delivery");
                    group = group
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| !done.contains(i))
                        .map(|(_, vote)| vote)
                        .collect();
                }
            }
        }
    }
    Ok(counted)
    // end solution
}
// ANCHOR_END: count

/// What became of one lane in step 1.
#[derive(Debug, Default)]
pub struct LaneOutcome {
    /// Its votes accepted and waiting for step 2.
    pub pending: Vec<PendingVote>,
    pub duplicates: usize,
    pub already_counted: usize,
    pub dead_lettered: usize,
    /// The position of its first record that still failed after the
    /// retries; nothing after it in the lane was tried.
    pub failed_at: Option<usize>,
}

/// Step 1 for one lane: its records one after another. Poison is
/// dead-lettered; a vote is accepted (retrying what is transient); a vote
/// DynamoDB refuses as invalid is poison too. The first record that still
/// fails stops the lane.
pub async fn run_lane(
    consumer: &Consumer,
    records: &[KinesisEventRecord],
    lane: &[usize],
) -> LaneOutcome {
    let mut outcome = LaneOutcome::default();
    for &index in lane {
        let record = &records[index];
        let sequence_number = &record.kinesis.sequence_number;
        let poison = match read_vote(&record.kinesis.data) {
            Ok(vote) => {
                match with_retries(&consumer.retry, || accept(consumer, &vote, sequence_number))
                    .await
                {
                    Ok(Acceptance::Pending) => {
                        outcome.pending.push(PendingVote {
                            index,
                            user: vote.user,
                            driver: vote.vote,
                            sequence_number: sequence_number.clone(),
                        });
                        continue;
                    }
                    Ok(Acceptance::Duplicate) => {
                        outcome.duplicates += 1;
                        continue;
                    }
                    Ok(Acceptance::AlreadyCounted) => {
                        outcome.already_counted += 1;
                        continue;
                    }
                    Err(error) if classify(&error) == ErrorKind::BadRecord => {
                        Poison::Refused(error.to_string())
                    }
                    Err(error) => {
                        tracing::warn!(seq = %sequence_number, %error, "vote not accepted; the lane stops here");
                        outcome.failed_at = Some(index);
                        return outcome;
                    }
                }
            }
            Err(poison) => poison,
        };
        match dead_letter(consumer, record, &poison).await {
            Ok(()) => outcome.dead_lettered += 1,
            Err(error) => {
                tracing::warn!(seq = %sequence_number, %error, "dead letter not written; the lane stops here");
                outcome.failed_at = Some(index);
                return outcome;
            }
        }
    }
    outcome
}

/// What [`handle`] did with one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BatchSummary {
    pub counted: usize,
    pub duplicates: usize,
    pub already_counted: usize,
    pub dead_lettered: usize,
    pub lanes: usize,
    pub transactions: usize,
}

// ANCHOR: handle
/// The Lambda handler (with `ReportBatchItemFailures`): step 1 over the
/// lanes, at most `concurrency` at once; step 2 over every pending vote.
/// Reports the first record, in batch order, that is not durably done.
pub async fn handle(
    consumer: &Consumer,
    event: KinesisEvent,
    concurrency: usize,
) -> KinesisEventResponse {
    //~ TODO 5: run the lanes side by side, never more than `concurrency` at
    //~   once (a stream of futures can bound that; make the lanes' futures
    //~   first, into a `Vec`: a stream whose closure borrows each lane trips
    //~   a lifetime error that the compiler reports in the suite, far from
    //~   here), each with `run_lane`; then
    //~   count every pending vote, in batch order. The batch's item failure is
    //~   the first record in batch order that is not durably done — a lane's
    //~   failed record, or the first vote left uncounted — so that the mapping
    //~   redelivers from there and everything after it is found done or
    //~   redone. Log the batch's `BatchSummary` (its `Debug` form, as a field
    //~   of one `tracing` event). Chapter: «Day 11 › A bounded number in
    //~   flight», «Day 11 › The lowest record not done»; docs:
    //~   https://docs.rs/futures/latest/futures/stream/trait.StreamExt.html#method.buffer_unordered
    // solution: todo!("day 11: the handler")
    let records = &event.records;
    let lanes = lanes(records);
    // The futures are made first (nothing runs until polled), then at most
    // `concurrency` of them are polled at once.
    let runs: Vec<_> = lanes.iter().map(|lane| run_lane(consumer, records, lane)).collect();
    let outcomes: Vec<LaneOutcome> =
        futures::stream::iter(runs).buffer_unordered(concurrency.max(1)).collect().await;
    let mut summary = BatchSummary { lanes: lanes.len(), ..BatchSummary::default() };
    let mut pending = Vec::new();
    let mut first_failure: Option<usize> = None;
    for outcome in outcomes {
        summary.duplicates += outcome.duplicates;
        summary.already_counted += outcome.already_counted;
        summary.dead_lettered += outcome.dead_lettered;
        pending.extend(outcome.pending);
        first_failure = first_failure.into_iter().chain(outcome.failed_at).min();
    }
    pending.sort_by_key(|vote| vote.index);
    summary.transactions = transaction_groups(&pending).len();
    match count(consumer, &pending).await {
        Ok(counted) => summary.counted = counted,
        Err((error, index)) => {
            tracing::warn!(seq = %records[index].kinesis.sequence_number, %error, "votes not counted; the batch resumes at the first");
            first_failure = first_failure.into_iter().chain([index]).min();
        }
    }
    let mut response = KinesisEventResponse::default();
    if let Some(index) = first_failure {
        response.add_failure(records[index].kinesis.sequence_number.clone());
    }
    tracing::info!(?summary, "batch processed");
    response
    // end solution
}
// ANCHOR_END: handle
