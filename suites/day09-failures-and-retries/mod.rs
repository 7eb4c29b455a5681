//! What day 09's consumer must do when things go wrong: set poison aside
//! with its reason, retry what is worth retrying, stop on what is not, and
//! leave every table as it was when a batch comes again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::error::{
    ProvisionedThroughputExceededException, TransactionCanceledException,
};
use aws_sdk_dynamodb::types::{CancellationReason, error};
use lambda_runtime::LambdaEvent;
use pitlane::aws::DynamoDbError;
use pitlane::lambda::{KinesisEvent, KinesisEventRecord};
use pitlane_esm::{EsmConfig, InProcess, run_until_caught_up};
use pitlane_testkit::{
    Call, ExpectedVotes, FaultProxy, Reply, all_records, dynamodb, expected_votes, fixture,
    fixture_batches, item_to_json, random_faults, scan_all, stream_holding, table_state,
    unique_name, vote_counts,
};
use serde_json::Value;

use crate::sut::{
    Consumer, ErrorKind, MAX_KEPT_BYTES, MAX_VOTE_BYTES, Poison, RetryPolicy, Tables, classify,
    create_tables, dead_letter_item, handle, read_vote, with_retries,
};

const BATCH: &str = "votes/shardId-000000000000-batch-01.json";

async fn new_tables(prefix: &str) -> Tables {
    let tables = Tables {
        votes: unique_name(&format!("{prefix}-votes")),
        results: unique_name(&format!("{prefix}-results")),
        dead_letters: unique_name(&format!("{prefix}-dead")),
    };
    create_tables(&dynamodb(), &tables).await.unwrap();
    tables
}

/// A consumer whose calls go through `proxy`, without the SDK's own retries
/// (so that the retries tested are yours), retrying 3 times without waiting.
fn consumer(proxy: &FaultProxy, tables: &Tables) -> Consumer {
    Consumer { client: proxy.dynamodb(1), tables: tables.clone(), retry: RetryPolicy::immediate(3) }
}

/// A plan that fails the TransactWriteItems calls whose numbers (1, 2, ...
/// counting only those calls) `fail` says, with `reply`.
fn fail_transactions(
    reply: Reply,
    fail: impl Fn(u32) -> bool + Send + 'static,
) -> impl FnMut(&Call) -> Reply + Send + 'static {
    let mut transactions = 0;
    move |call| {
        if call.operation != "TransactWriteItems" {
            return Reply::Forward;
        }
        transactions += 1;
        if fail(transactions) { reply.clone() } else { Reply::Forward }
    }
}

async fn counts(tables: &Tables) -> BTreeMap<String, u64> {
    vote_counts(&dynamodb(), &tables.results).await
}

/// The dead letters, sorted by key, as readable JSON.
async fn dead_letters(tables: &Tables) -> Vec<Value> {
    let mut items = scan_all(&dynamodb(), &tables.dead_letters).await;
    items.sort_by_key(|item| item["eventId"].as_s().unwrap().clone());
    items.iter().map(item_to_json).collect()
}

/// Every table's content, to compare before and after a replay.
async fn everything(tables: &Tables) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for table in [&tables.votes, &tables.results, &tables.dead_letters] {
        // `updatedAt` is the time of the last count, not part of the state.
        all.push(table_state(&dynamodb(), table, &["updatedAt"]).await);
    }
    all
}

/// What the counts must be — each fan's first valid vote — and which records
/// must be set aside (their event ids, sorted), worked out independently of
/// your code.
fn expected(records: &[KinesisEventRecord]) -> (BTreeMap<String, u64>, Vec<String>) {
    let ExpectedVotes { counts, mut invalid } = expected_votes(records, MAX_VOTE_BYTES);
    invalid.sort();
    (counts, invalid)
}

fn failed(response: &aws_lambda_events::event::streams::KinesisEventResponse) -> Vec<String> {
    response.batch_item_failures.iter().map(|f| f.item_identifier.clone().unwrap()).collect()
}

fn modeled(error: aws_sdk_dynamodb::Error) -> DynamoDbError {
    DynamoDbError::from(error)
}

fn cancelled(codes: &[&str]) -> DynamoDbError {
    let reasons = codes.iter().map(|code| CancellationReason::builder().code(*code).build());
    modeled(aws_sdk_dynamodb::Error::TransactionCanceledException(
        TransactionCanceledException::builder()
            .set_cancellation_reasons(Some(reasons.collect()))
            .build(),
    ))
}

fn throttled() -> DynamoDbError {
    modeled(aws_sdk_dynamodb::Error::ProvisionedThroughputExceededException(
        ProvisionedThroughputExceededException::builder().message("slow down").build(),
    ))
}

#[test]
fn a_record_too_large_or_not_a_vote_is_poison_with_a_reason() {
    let valid = br#"{"vote":"NOR","user":"fan-0042","votedAt":"2026-07-05T15:33:00Z"}"#;
    assert_eq!(read_vote(valid).unwrap().vote, "NOR");

    let huge = vec![b' '; 5000];
    let reasons: Vec<String> = [
        &huge[..],
        br#"{"vote":"NOR","user":"fan-0042","vo"#,
        br#"{"vote":"XYZ","user":"fan-0042","votedAt":"2026-07-05T15:33:00Z"}"#,
        br#"{"vote":"NOR","user":"  ","votedAt":"2026-07-05T15:33:00Z"}"#,
        br#"{"vote":44,"user":"fan-0042","votedAt":"2026-07-05T15:33:00Z"}"#,
    ]
    .iter()
    .map(|data| read_vote(data).expect_err("poison").to_string())
    .collect();

    assert_eq!(read_vote(&huge), Err(Poison::TooLarge { bytes: 5000 }));
    insta::assert_json_snapshot!(reasons);
}

/// The size limit is inclusive: a vote of exactly `MAX_VOTE_BYTES` (JSON
/// may carry spaces) is still a vote; one byte more is not.
#[test]
fn a_vote_of_exactly_the_size_limit_is_read_one_byte_more_is_poison() {
    let vote = br#"{"vote":"NOR","user":"fan-0042","votedAt":"2026-07-05T15:33:00Z"}"#;
    let padded = |size: usize| {
        let mut data = vote.to_vec();
        data.resize(size, b' ');
        data
    };

    assert_eq!(read_vote(&padded(MAX_VOTE_BYTES)).unwrap().vote, "NOR");
    assert_eq!(
        read_vote(&padded(MAX_VOTE_BYTES + 1)),
        Err(Poison::TooLarge { bytes: MAX_VOTE_BYTES + 1 })
    );
}

/// The limit is no smaller than the largest vote the vote API (day 05)
/// accepts: 256 characters of identity, each of which JSON may escape to 6
/// bytes, and a time to the nanosecond.
#[test]
fn the_largest_vote_the_api_writes_is_not_poison() {
    let user = "\u{1}".repeat(pitlane::votes::MAX_USER_CHARS);
    let vote = pitlane::votes::Vote {
        vote: "NOR".into(),
        user: user.clone(),
        voted_at: "2026-07-05T15:33:00.123456789Z".parse().unwrap(),
    };
    let data = serde_json::to_vec(&vote).unwrap();

    assert!(data.len() > 1536, "{} bytes", data.len());
    assert_eq!(read_vote(&data).map(|vote| vote.user), Ok(user));
}

#[test]
fn throttling_and_server_trouble_are_transient_a_refused_write_is_the_records_fault() {
    assert_eq!(classify(&throttled()), ErrorKind::Transient);
    assert_eq!(
        classify(&modeled(aws_sdk_dynamodb::Error::InternalServerError(
            error::InternalServerError::builder().message("oops").build()
        ))),
        ErrorKind::Transient
    );
    assert_eq!(classify(&cancelled(&["None", "ThrottlingError"])), ErrorKind::Transient);
    assert_eq!(classify(&cancelled(&["TransactionConflict", "None"])), ErrorKind::Transient);
    assert_eq!(classify(&cancelled(&["ValidationError", "None"])), ErrorKind::BadRecord);
}

#[tokio::test]
async fn errors_as_dynamodb_sends_them_are_classified_too() {
    let cases = [
        (Reply::Throttle, ErrorKind::Transient),
        (Reply::SlowDown, ErrorKind::Transient),
        (Reply::ServerError, ErrorKind::Transient),
        (Reply::Disconnect, ErrorKind::Transient),
        // A write that met another transaction on its item, or the account's
        // request rate: "not now", each its own modeled exception.
        (Reply::Refuse("TransactionConflictException"), ErrorKind::Transient),
        (Reply::Refuse("RequestLimitExceeded"), ErrorKind::Transient),
        (Reply::Refuse("ValidationException"), ErrorKind::BadRecord),
        // A missing table is no record's fault, and no retry will create it.
        (Reply::Refuse("ResourceNotFoundException"), ErrorKind::Setup),
        (Reply::Refuse("AccessDeniedException"), ErrorKind::Setup),
    ];
    for (reply, kind) in cases {
        let answer = reply.clone();
        let proxy = FaultProxy::dynamodb_with(move |_: &Call| answer.clone()).await;
        let error = proxy
            .dynamodb(1)
            .put_item()
            .table_name("any")
            .item("eventId", AttributeValue::S("1".into()))
            .send()
            .await
            .expect_err("the proxy refuses every call");

        assert_eq!(classify(&DynamoDbError::from(error)), kind, "{reply:?}");
    }
}

/// A retry comes after a wait, drawn at random up to a bound that doubles
/// (full jitter): a throttled table refuses an immediate retry too, and
/// consumers throttled together would come back together. The check does not
/// time the code: eight waits each drawn from 0 ..= 300 ms add up to at least
/// 300 ms but for odds of 1 in 8! (40,320), while eight calls without the
/// waits take a few milliseconds.
#[tokio::test]
async fn transient_failures_are_retried_only_after_a_backoff_wait() {
    let bound = Duration::from_millis(300);
    let policy = RetryPolicy { max_attempts: 9, base_delay: bound, max_delay: bound };
    let attempts = AtomicU32::new(0);

    let started = std::time::Instant::now();
    let (result, ticks) = pitlane_testkit::with_ticker(with_retries(&policy, || async {
        let attempt = attempts.fetch_add(1, Ordering::Relaxed) + 1;
        if attempt < 9 { Err(throttled()) } else { Ok(attempt) }
    }))
    .await;
    let took = started.elapsed();

    assert_eq!(result.unwrap(), 9, "eight throttled attempts, then a success");
    assert!(took >= bound, "eight retries took {took:?} in all: they do not wait between attempts");
    pitlane_testkit::assert_waited_without_blocking(ticks, took);
}

#[tokio::test]
async fn transient_failures_are_retried_until_the_budget_is_spent_others_never() {
    let policy = RetryPolicy::immediate(4);
    let attempts = AtomicU32::new(0);
    let recovers_on_the_third = with_retries(&policy, || async {
        let attempt = attempts.fetch_add(1, Ordering::Relaxed) + 1;
        if attempt < 3 { Err(throttled()) } else { Ok(attempt) }
    })
    .await;
    assert_eq!(recovers_on_the_third.unwrap(), 3);

    attempts.store(0, Ordering::Relaxed);
    let always_throttled: Result<(), _> = with_retries(&policy, || async {
        attempts.fetch_add(1, Ordering::Relaxed);
        Err(throttled())
    })
    .await;
    assert!(always_throttled.is_err());
    assert_eq!(
        attempts.load(Ordering::Relaxed),
        4,
        "max_attempts is every attempt, the first included"
    );

    attempts.store(0, Ordering::Relaxed);
    let refused: Result<(), _> = with_retries(&policy, || async {
        attempts.fetch_add(1, Ordering::Relaxed);
        Err(cancelled(&["ValidationError", "None"]))
    })
    .await;
    assert!(refused.is_err());
    assert_eq!(attempts.load(Ordering::Relaxed), 1, "a bad record is not retried");
}

#[test]
fn a_dead_letter_keeps_the_record_and_the_reason_and_is_the_same_every_time() {
    // The recorded batch holds a vote cut short in the middle of its JSON.
    let batch = fixture(BATCH);
    let record = batch
        .records
        .iter()
        .find(|record| serde_json::from_slice::<serde_json::Value>(&record.kinesis.data).is_err())
        .expect("a cut-short vote");
    let reason = Poison::NotAVote("not a vote: the JSON ends too early".into());

    let item = dead_letter_item(record, &reason);

    assert_eq!(item, dead_letter_item(record, &reason), "no clock, no random id");
    assert_eq!(item["eventId"].as_s().unwrap(), record.event_id.as_ref().unwrap());
    assert_eq!(item["data"].as_b().unwrap().as_ref(), &record.kinesis.data[..]);
    insta::assert_json_snapshot!(item_to_json(&item));
}

/// A record can be 1 MiB and a DynamoDB item only 400 KB: the dead letter
/// keeps the first `MAX_KEPT_BYTES` of the data, and says how long it was.
#[test]
fn a_dead_letter_keeps_at_most_64_kib_of_a_large_record() {
    let mut record = fixture(BATCH).records[0].clone();
    *record.kinesis.data = vec![b'x'; 300_000];
    let reason = Poison::TooLarge { bytes: 300_000 };

    let item = dead_letter_item(&record, &reason);

    assert_eq!(MAX_KEPT_BYTES, 64 * 1024);
    assert_eq!(item["data"].as_b().unwrap().as_ref(), &record.kinesis.data[..MAX_KEPT_BYTES]);
    assert_eq!(item["dataBytes"].as_n().unwrap(), "300000");
}

#[tokio::test]
async fn poison_whose_dead_letter_cannot_be_written_is_reported_not_dropped() {
    let tables = new_tables("day09-dead-fails").await;
    // Every dead-letter write fails (they are the only PutItem calls).
    let proxy = FaultProxy::dynamodb_with(|call: &Call| {
        if call.operation == "PutItem" { Reply::ServerError } else { Reply::Forward }
    })
    .await;
    let batch = fixture(BATCH);
    let (_, poison) = expected(&batch.records);
    let first_poison =
        batch.records.iter().position(|r| poison.contains(r.event_id.as_ref().unwrap())).unwrap();

    let response = handle(&consumer(&proxy, &tables), batch.clone()).await;

    assert_eq!(
        failed(&response),
        [batch.records[first_poison].kinesis.sequence_number.clone()],
        "a poison record not set aside is not done: it must come again, not vanish"
    );
    assert!(dead_letters(&tables).await.is_empty());
}

#[tokio::test]
async fn poison_is_set_aside_with_its_reason_and_the_shard_goes_on() {
    let tables = new_tables("day09-poison").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let consumer = consumer(&proxy, &tables);
    let mut batches = fixture_batches("votes");
    // One more kind of poison: a record far too large to be a vote.
    *batches[0].records[10].kinesis.data = vec![b'x'; 5000];

    for batch in &batches {
        let response = handle(&consumer, batch.clone()).await;
        assert_eq!(failed(&response), Vec::<String>::new(), "poison must not fail the batch");
    }

    let records: Vec<_> = batches.iter().flat_map(|b| b.records.clone()).collect();
    let (counts_expected, poison_expected) = expected(&records);
    assert_eq!(counts(&tables).await, counts_expected);
    let letters = dead_letters(&tables).await;
    let ids: Vec<_> = letters.iter().map(|l| l["eventId"]["S"].as_str().unwrap()).collect();
    assert_eq!(ids, poison_expected);
    let reasons: Vec<_> = letters.iter().map(|l| &l["reason"]["S"]).collect();
    insta::assert_json_snapshot!(reasons);
}

/// The handler's log line about its batch is the operators' view of it: its
/// counts must be the batch's (counted, duplicates, and poison dead-lettered).
#[tokio::test]
async fn the_batch_summary_in_the_logs_counts_each_outcome() {
    let tables = new_tables("day09-summary").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let batch = fixture(BATCH);
    let (counts, poison) = expected(&batch.records);
    let counted: u64 = counts.values().sum();
    let duplicates = batch.records.len() - counted as usize - poison.len();
    assert!(counted > 0 && duplicates > 0 && !poison.is_empty(), "the batch has all three");

    let logs = pitlane_testkit::logs::capture();
    let response = handle(&consumer(&proxy, &tables), batch).await;

    assert_eq!(failed(&response), Vec::<String>::new());
    let summary = format!(
        "BatchSummary {{ counted: {counted}, duplicates: {duplicates}, dead_lettered: {} }}",
        poison.len()
    );
    let logged = logs.text();
    assert!(logged.contains(&summary), "the log should say {summary}; it says:\n{logged}");
}

#[tokio::test]
async fn a_write_dynamodb_refuses_is_dead_lettered_at_once() {
    let tables = new_tables("day09-refused").await;
    // The 3rd vote's transaction is refused as invalid: no retry can help.
    let proxy =
        FaultProxy::dynamodb_with(fail_transactions(Reply::Refuse("ValidationException"), |n| {
            n == 3
        }))
        .await;
    let batch = fixture(BATCH);

    let response = handle(&consumer(&proxy, &tables), batch.clone()).await;

    assert_eq!(
        failed(&response),
        Vec::<String>::new(),
        "a write DynamoDB refuses as invalid fails again on every retry: it is dead-lettered, \
         not reported as the batch's failure"
    );
    let letters = dead_letters(&tables).await;
    let third = batch.records[2].event_id.clone().unwrap();
    let letter = letters.iter().find(|l| l["eventId"]["S"] == third).expect("a dead letter");
    let reason = letter["reason"]["S"].as_str().unwrap();
    assert!(reason.starts_with("DynamoDB refused the vote"), "{reason}");
    assert_eq!(letters.len(), 1 + expected(&batch.records).1.len(), "and the batch's own poison");
    assert_eq!(proxy.stats().refused, 1, "refused once, and not tried again");
}

#[tokio::test]
async fn a_missing_table_stops_the_batch_at_once_and_sets_nothing_aside() {
    let tables =
        Tables { results: unique_name("day09-missing"), ..new_tables("day09-setup").await };
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let batch = fixture(BATCH);

    let response = handle(&consumer(&proxy, &tables), batch.clone()).await;

    assert_eq!(failed(&response), [batch.records[0].kinesis.sequence_number.clone()]);
    assert_eq!(proxy.stats().calls, 1, "no retry: a missing table does not appear by waiting");
    assert!(dead_letters(&tables).await.is_empty(), "the votes are fine; the set-up is not");
}

#[tokio::test]
async fn a_record_still_failing_after_its_retries_is_reported_and_nothing_after_it_is_tried() {
    let tables = new_tables("day09-exhausted").await;
    // Every transaction from the 5th on is throttled.
    let proxy = FaultProxy::dynamodb_with(fail_transactions(Reply::Throttle, |n| n >= 5)).await;
    let batch = fixture(BATCH);

    let response = handle(&consumer(&proxy, &tables), batch.clone()).await;

    assert_eq!(failed(&response), [batch.records[4].kinesis.sequence_number.clone()]);
    assert_eq!(proxy.stats().calls, 4 + 3, "4 votes, then 3 attempts at the 5th");
    let (counts_expected, _) = expected(&batch.records[..4]);
    assert_eq!(counts(&tables).await, counts_expected);
}

#[tokio::test]
async fn a_batch_processed_twice_leaves_every_table_as_it_was() {
    let tables = new_tables("day09-replay").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let consumer = consumer(&proxy, &tables);
    let batch = fixture(BATCH);

    handle(&consumer, batch.clone()).await;
    let once = everything(&tables).await;
    handle(&consumer, batch.clone()).await;

    assert_eq!(everything(&tables).await, once);
    let (counts_expected, poison_expected) = expected(&batch.records);
    assert_eq!(once[2].len(), poison_expected.len(), "each dead letter once, written twice");
    assert_eq!(counts(&tables).await, counts_expected);
}

#[tokio::test]
async fn end_to_end_a_third_of_all_calls_failing_changes_no_count_and_loses_no_record() {
    let records = all_records("votes");
    let (kinesis, stream) = stream_holding(&records, 2, "day09-e2e").await;
    let tables = new_tables("day09-e2e").await;
    // Throttling, server errors and lost replies on a third of the calls;
    // the SDK tries each call twice, your code 3 times, the mapping the rest.
    let proxy = FaultProxy::dynamodb_with(random_faults(9, 0.33)).await;
    let consumer = Arc::new(Consumer { client: proxy.dynamodb(2), ..consumer(&proxy, &tables) });
    let function = InProcess::new(
        "reliable-votes",
        Duration::from_secs(30),
        move |event: LambdaEvent<KinesisEvent>| {
            let consumer = consumer.clone();
            async move { Ok::<_, std::convert::Infallible>(handle(&consumer, event.payload).await) }
        },
    );
    let config = EsmConfig {
        report_batch_item_failures: true,
        maximum_retry_attempts: Some(20),
        retry_delay: Duration::ZERO,
        ..EsmConfig::new(&stream)
    };

    let report = run_until_caught_up(&kinesis, &config, Arc::new(function)).await.unwrap();

    assert_eq!((report.records_succeeded, report.records_given_up), (400, 0));
    assert!(proxy.stats().faults() * 5 > proxy.stats().calls, "{:?}", proxy.stats());
    let (counts_expected, poison_expected) = expected(&records.records);
    assert_eq!(counts(&tables).await, counts_expected);
    assert_eq!(dead_letters(&tables).await.len(), poison_expected.len());
    let fans = scan_all(&dynamodb(), &tables.votes).await.len() as u64;
    assert_eq!(fans, counts_expected.values().sum::<u64>(), "one vote stored per fan counted");
}
