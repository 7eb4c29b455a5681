//! What day 07's vote recorder must do: every fan counted once, whatever
//! the duplicates, the redeliveries and the failures.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use lambda_runtime::LambdaEvent;
use pitlane::lambda::KinesisEvent;
use pitlane::votes::Vote;
use pitlane_esm::{EsmConfig, InProcess, run_until_caught_up};
use pitlane_testkit::{
    CallFaults, FaultProxy, Reply, all_records, dynamodb, dynamodb_with, expected_votes, fixture,
    fixture_batches, scan_all, stream_holding, unique_name, vote_counts,
};

use crate::sut::{Outcome, Tables, create_tables, handle, record_vote, vote_transaction};

const BATCH: &str = "votes/shardId-000000000000-batch-01.json";

fn vote(user: &str, driver: &str) -> Vote {
    Vote {
        vote: driver.into(),
        user: user.into(),
        voted_at: "2026-07-05T15:33:00Z".parse().unwrap(),
    }
}

async fn new_tables(client: &aws_sdk_dynamodb::Client, prefix: &str) -> Tables {
    let tables = Tables {
        votes: unique_name(&format!("{prefix}-votes")),
        results: unique_name(&format!("{prefix}-results")),
    };
    create_tables(client, &tables).await.unwrap();
    tables
}

async fn results(client: &aws_sdk_dynamodb::Client, tables: &Tables) -> BTreeMap<String, u64> {
    vote_counts(client, &tables.results).await
}

/// What the results must be: each fan's first valid vote, per driver.
fn expected(batches: &[KinesisEvent]) -> BTreeMap<String, u64> {
    // Day 07 sets no limit of its own on a vote's size (day 09 does).
    expected_votes(batches.iter().flat_map(|b| &b.records), usize::MAX).counts
}

#[test]
fn accepting_and_counting_a_vote_is_one_transaction_of_two_writes() {
    let tables = Tables { votes: "Votes".into(), results: "Results".into() };

    let items = vote_transaction(&tables, &vote("fan-0042", "NOR"), "4968");

    assert_eq!(items.len(), 2);
    let put = items[0].put().expect("first: put the fan's vote");
    assert_eq!(put.table_name(), "Votes");
    assert_eq!(put.item()["user"].as_s().unwrap(), "fan-0042");
    let condition = put.condition_expression().expect("the put must be conditional");
    assert!(condition.contains("attribute_not_exists"), "{condition}");
    let update = items[1].update().expect("second: count it");
    assert_eq!(update.table_name(), "Results");
    assert_eq!(update.key()["driver"].as_s().unwrap(), "NOR");
    assert!(update.update_expression().contains("ADD"), "{}", update.update_expression());
}

#[tokio::test]
async fn a_fans_first_vote_is_counted_and_a_second_one_changes_nothing() {
    let client = dynamodb();
    let tables = new_tables(&client, "day07-twice").await;

    let first = record_vote(&client, &tables, &vote("fan-0042", "NOR"), "1").await.unwrap();
    let second = record_vote(&client, &tables, &vote("fan-0042", "VER"), "2").await.unwrap();
    let again = record_vote(&client, &tables, &vote("fan-0042", "NOR"), "1").await.unwrap();

    assert_eq!((first, second, again), (Outcome::Counted, Outcome::Duplicate, Outcome::Duplicate));
    assert_eq!(results(&client, &tables).await, BTreeMap::from([("NOR".to_owned(), 1)]));
    let voters = scan_all(&client, &tables.votes).await;
    assert_eq!(voters.len(), 1);
    assert_eq!(voters[0]["vote"].as_s().unwrap(), "NOR", "the first vote stands");
    // The fan's item says when the vote was cast and which record brought it;
    // the count says when it last changed.
    let voted_at = voters[0].get("votedAt").and_then(|v| v.as_s().ok()).expect("votedAt");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(voted_at).ok(),
        "2026-07-05T15:33:00Z".parse().ok(),
        "votedAt is the vote's own time, in RFC 3339: {voted_at}"
    );
    assert_eq!(
        voters[0].get("sequenceNumber").and_then(|v| v.as_s().ok()).map(String::as_str),
        Some("1")
    );
    let counts = scan_all(&client, &tables.results).await;
    let updated = counts[0].get("updatedAt").and_then(|v| v.as_s().ok()).expect("updatedAt");
    assert!(chrono::DateTime::parse_from_rfc3339(updated).is_ok(), "updatedAt: {updated}");
}

/// DynamoDB cancels a transaction for more reasons than a failed condition:
/// another transaction on the same item at that moment
/// (`TransactionConflict`), throttling (`ThrottlingError`), a write that is
/// invalid. Only the *vote's* condition failing means the fan had voted
/// already. Any other cancellation is an error, so the batch is retried:
/// taken for a duplicate, the vote would vanish uncounted.
#[tokio::test]
async fn a_transaction_cancelled_for_another_reason_is_an_error_not_a_duplicate() {
    let client = dynamodb();
    let tables = new_tables(&client, "day07-cancel").await;
    let reasons: [&'static [&'static str]; 3] = [
        &["TransactionConflict", "None"],
        &["None", "TransactionConflict"],
        &["ThrottlingError", "ThrottlingError"],
    ];
    for reasons in reasons {
        let proxy = FaultProxy::dynamodb_with(move |call| match call.operation.as_str() {
            "TransactWriteItems" => Reply::Cancel(reasons),
            _ => Reply::Forward,
        })
        .await;
        let outcome = record_vote(&proxy.dynamodb(1), &tables, &vote("fan-0007", "NOR"), "7").await;
        assert!(
            outcome.is_err(),
            "a transaction cancelled for {reasons:?} is not a duplicate: {outcome:?} loses the vote"
        );
    }
    // The condition failing on the vote *is* a duplicate.
    let proxy = FaultProxy::dynamodb_with(|call| match call.operation.as_str() {
        "TransactWriteItems" => Reply::Cancel(&["ConditionalCheckFailed", "None"]),
        _ => Reply::Forward,
    })
    .await;
    let outcome = record_vote(&proxy.dynamodb(1), &tables, &vote("fan-0007", "NOR"), "7").await;
    assert_eq!(outcome.unwrap(), Outcome::Duplicate);
    // Nothing was written meanwhile: the fan's vote still counts, once.
    let counted = record_vote(&client, &tables, &vote("fan-0007", "NOR"), "7").await.unwrap();
    assert_eq!(counted, Outcome::Counted);
    assert_eq!(results(&client, &tables).await, BTreeMap::from([("NOR".to_owned(), 1)]));
}

/// The handler's log line about its batch is what an operator reads: its
/// counts must be the batch's. The first recorded batch, replayed after a
/// fan has voted already, holds votes to count, duplicates and bad records.
#[tokio::test]
async fn the_batch_summary_in_the_logs_counts_each_outcome() {
    let client = dynamodb();
    let tables = new_tables(&client, "day07-summary").await;
    let batch = fixture(BATCH);
    let records = batch.records.len();
    let expected = expected_votes(&batch.records, usize::MAX);
    let counted: u64 = expected.counts.values().sum();
    let rejected = expected.invalid.len();

    let logs = pitlane_testkit::logs::capture();
    let response = handle(&client, &tables, batch).await.unwrap();

    assert!(response.batch_item_failures.is_empty());
    let duplicates = records - counted as usize - rejected;
    assert!(counted > 0 && rejected > 0 && duplicates > 0, "the batch has all three");
    let summary = format!(
        "BatchSummary {{ counted: {counted}, duplicates: {duplicates}, rejected: {rejected} }}"
    );
    let logged = logs.text();
    assert!(logged.contains(&summary), "the log should say {summary}; it says:\n{logged}");
}

#[tokio::test]
async fn every_fan_is_counted_once_across_all_batches() {
    let client = dynamodb();
    let tables = new_tables(&client, "day07-all").await;
    let batches = fixture_batches("votes");

    for batch in &batches {
        let response = handle(&client, &tables, batch.clone()).await.unwrap();
        assert!(response.batch_item_failures.is_empty());
    }

    let results = results(&client, &tables).await;
    assert_eq!(results, expected(&batches));
    assert!(results.values().sum::<u64>() < 398, "duplicates were counted");
    insta::assert_json_snapshot!(results);
}

#[tokio::test]
async fn a_batch_delivered_again_changes_no_count() {
    let client = dynamodb();
    let tables = new_tables(&client, "day07-replay").await;

    handle(&client, &tables, fixture(BATCH)).await.unwrap();
    let once = results(&client, &tables).await;
    handle(&client, &tables, fixture(BATCH)).await.unwrap();

    assert_eq!(results(&client, &tables).await, once);
}

/// A user too long to be a key (DynamoDB's partition keys: 2,048 bytes) is
/// no vote: written, the transaction would be refused every time it came
/// again, and the shard would wait behind it. The local DynamoDB refuses it
/// as DynamoDB does, so only a consumer that rejects it passes.
#[tokio::test]
async fn a_vote_whose_user_cannot_be_a_key_is_rejected_and_the_batch_goes_on() {
    let client = dynamodb();
    let tables = new_tables(&client, "day07-long-user").await;
    let mut batch = fixture(BATCH);
    let record = &mut batch.records[1];
    record.kinesis.data.clear();
    let long = serde_json::to_vec(&vote(&"a".repeat(2049), "NOR")).unwrap();
    record.kinesis.data.extend_from_slice(&long);

    let response = handle(&client, &tables, batch.clone()).await.unwrap();

    assert!(response.batch_item_failures.is_empty(), "one bad vote must not stop the batch");
    assert_eq!(results(&client, &tables).await, expected(&[batch]));
    let users = scan_all(&client, &tables.votes).await;
    assert!(users.iter().all(|item| item["user"].as_s().unwrap().len() <= 256));
}

// ANCHOR: failure_test
#[tokio::test]
async fn a_failed_write_is_reported_and_the_batch_resumes_there() {
    // The 5th transaction fails (a throttled call, a network error...).
    let calls = CallFaults::<TransactWriteItemsInput>::new([false, false, false, false, true]);
    let client = dynamodb_with(calls.clone());
    let tables = new_tables(&client, "day07-fail").await;
    let batch = fixture(BATCH);

    let response = handle(&client, &tables, batch.clone()).await.unwrap();

    // The 5 first records are valid votes: the 5th is where to resume.
    let fifth = &batch.records[4];
    let failed: Vec<_> =
        response.batch_item_failures.iter().map(|f| f.item_identifier.clone().unwrap()).collect();
    assert_eq!(failed, std::slice::from_ref(&fifth.kinesis.sequence_number));
    assert_eq!(calls.calls(), 5, "nothing after the failure is attempted");

    // Redelivered from there, as the event-source mapping does: exact counts.
    handle(&client, &tables, pitlane::lambda::batch(batch.records[4..].to_vec())).await.unwrap();
    assert_eq!(results(&client, &tables).await, expected(&[batch]));
}
// ANCHOR_END: failure_test

#[tokio::test]
async fn end_to_end_exact_counts_through_the_event_source_mapping_despite_failures() {
    let (kinesis, stream) = stream_holding(&all_records("votes"), 2, "day07-e2e").await;
    let (dynamodb_plain, batches) = (dynamodb(), fixture_batches("votes"));
    // Every 7th transaction fails once.
    let calls = CallFaults::<TransactWriteItemsInput>::new((1..=400).map(|n| n % 7 == 0));
    let client = dynamodb_with(calls.clone());
    let tables = new_tables(&dynamodb_plain, "day07-e2e").await;

    let function = {
        let (client, tables) = (client.clone(), tables.clone());
        InProcess::new(
            "record-votes",
            Duration::from_secs(10),
            move |event: LambdaEvent<KinesisEvent>| {
                let (client, tables) = (client.clone(), tables.clone());
                async move { handle(&client, &tables, event.payload).await }
            },
        )
    };
    let config = EsmConfig {
        report_batch_item_failures: true,
        maximum_retry_attempts: Some(100),
        retry_delay: Duration::ZERO,
        ..EsmConfig::new(&stream)
    };
    let report = run_until_caught_up(&kinesis, &config, Arc::new(function)).await.unwrap();

    assert_eq!((report.records_succeeded, report.records_given_up), (400, 0));
    assert!(
        report.invocations > 5,
        "failures caused redeliveries: {} invocations",
        report.invocations
    );
    assert_eq!(results(&dynamodb_plain, &tables).await, expected(&batches));
}
