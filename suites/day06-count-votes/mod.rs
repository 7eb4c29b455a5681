//! What day 06's vote counter must do. Batches are the recorded votes
//! (`fixtures/votes/`); results tables live on the local DynamoDB.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use lambda_runtime::LambdaEvent;
use pitlane::lambda::{KinesisEvent, KinesisEventRecord};
use pitlane_esm::{EsmConfig, InProcess, run_until_caught_up};
use pitlane_testkit::{
    CallFaults, all_records, dynamodb, dynamodb_with, fixture, fixture_batches, stream_holding,
    unique_name, vote_counts,
};
use serde_json::json;

use crate::sut::{BatchSummary, CountError, add_votes, create_table, decode_vote, handle, tally};

/// 100 votes; record 71 was cut short (not JSON).
const BATCH: &str = "votes/shardId-000000000000-batch-01.json";
const CUT_SHORT: usize = 71;
/// 86 votes; record 24 is for "XYZ", who is not on the grid.
const OTHER_BATCH: &str = "votes/shardId-000000000001-batch-02.json";
const UNKNOWN_DRIVER: usize = 24;

fn with_data(record: &KinesisEventRecord, data: &str) -> KinesisEventRecord {
    let mut record = record.clone();
    record.kinesis.data.clear();
    record.kinesis.data.extend_from_slice(data.as_bytes());
    record
}

async fn results_table(client: &aws_sdk_dynamodb::Client, prefix: &str) -> String {
    let table = unique_name(prefix);
    create_table(client, &table).await.unwrap();
    table
}

#[test]
fn a_valid_vote_is_decoded() {
    let record = &fixture(BATCH).records[0];

    let vote = decode_vote(&record.kinesis.data).unwrap();

    assert_eq!(vote.user, record.kinesis.partition_key, "votes are keyed by fan");
    assert!(pitlane::votes::is_driver(&vote.vote));
}

#[test]
fn an_invalid_vote_is_rejected_with_a_reason() {
    let cut_short = &fixture(BATCH).records[CUT_SHORT];
    let unknown = &fixture(OTHER_BATCH).records[UNKNOWN_DRIVER];

    let decode = |record: &KinesisEventRecord| decode_vote(&record.kinesis.data);
    assert!(decode(cut_short).unwrap_err().starts_with("not a vote: EOF while parsing"));
    assert_eq!(decode(unknown).unwrap_err(), "unknown driver \"XYZ\"");
    // The API writes a driver id as the grid does ("NOR"): anything else on
    // the stream is not a vote, and must not be counted under a driver item
    // of its own.
    let not_canonical = with_data(
        unknown,
        r#"{"vote": " nor ", "user": "fan-0001", "votedAt": "2026-07-05T15:32:00Z"}"#,
    );
    assert_eq!(
        decode(&not_canonical).unwrap_err(),
        "unknown driver \" nor \"",
        "a driver id is matched exactly, as the grid writes it"
    );
    let wrong_type = with_data(
        unknown,
        r#"{"vote": 44, "user": "fan-0001", "votedAt": "2026-07-05T15:32:00Z"}"#,
    );
    assert!(decode(&wrong_type).unwrap_err().contains("invalid type: integer `44`"));
    let no_user =
        with_data(unknown, r#"{"vote": "NOR", "user": " ", "votedAt": "2026-07-05T15:32:00Z"}"#);
    assert_eq!(decode(&no_user).unwrap_err(), "the vote has no user");
    let as_array = with_data(unknown, r#"["NOR", "fan-0001", "2026-07-05T15:32:00Z"]"#);
    assert!(
        decode(&as_array).unwrap_err().starts_with("not a vote: invalid type: sequence"),
        "a vote is an object, not its values in a list"
    );
    // A time a consumer could not store as the vote says it: not RFC 3339,
    // finer than a nanosecond, or past the year 9999 once in UTC.
    for (time, reason) in [
        ("2026-07-05T15:32Z", "not an RFC 3339 time"),
        ("2026-07-05T15:32:00.123456789123Z", "12 digits of a second"),
        ("9999-12-31T23:59:59-23:59", "outside the years 0000 to 9999"),
    ] {
        let data = json!({"vote": "NOR", "user": "fan-0001", "votedAt": time}).to_string();
        let error = decode(&with_data(unknown, &data)).unwrap_err();
        assert!(error.starts_with("not a vote: ") && error.contains(reason), "{time}: {error}");
    }
    let offset =
        json!({"vote": "NOR", "user": "fan-0001", "votedAt": "2026-07-05T17:32:00.5+02:00"});
    let vote = decode(&with_data(unknown, &offset.to_string())).unwrap();
    assert_eq!(vote.voted_at.to_rfc3339(), "2026-07-05T15:32:00.500+00:00", "the same instant");
}

/// Kinesis counts a partition key in UTF-16 code units, 1 to 256: "é" is one
/// (two bytes of UTF-8), "🏎" two (four bytes). A user longer than that is
/// no fan of this stack's, and as day 07's key it could break DynamoDB's.
#[test]
fn a_user_longer_than_a_partition_key_is_rejected() {
    let record = &fixture(BATCH).records[0];
    let vote_by = |user: &str| {
        let data = json!({"vote": "NOR", "user": user, "votedAt": "2026-07-05T15:32:00Z"});
        decode_vote(with_data(record, &data.to_string()).kinesis.data.as_ref())
    };

    for longest in ["é".repeat(256), "🏎".repeat(128), format!("{}a", "🏎".repeat(127))] {
        assert_eq!(vote_by(&longest).map(|vote| vote.user), Ok(longest.clone()));
    }
    for too_long in ["é".repeat(257), format!("{}a", "🏎".repeat(128)), "a".repeat(3000)] {
        assert_eq!(vote_by(&too_long).unwrap_err(), "the user is longer than 256 characters");
    }
}

#[test]
fn a_batch_is_tallied_per_driver_in_memory() {
    let batch = fixture(BATCH);

    let tally = tally(&batch.records);

    assert_eq!(tally.counts.values().sum::<u64>(), 99);
    assert_eq!(tally.rejected.len(), 1);
    assert_eq!(tally.rejected[0].sequence_number, batch.records[CUT_SHORT].kinesis.sequence_number);
    insta::assert_json_snapshot!(tally.counts);
}

// ANCHOR: writes_test
#[tokio::test]
async fn a_batch_is_written_once_per_driver_not_once_per_vote() {
    let updates = CallFaults::<UpdateItemInput>::counting();
    let client = dynamodb_with(updates.clone());
    let table = results_table(&client, "day06-writes").await;
    let batch = fixture(BATCH);
    let drivers = tally(&batch.records).counts.len();

    let summary = handle(&client, &table, batch).await.unwrap();

    assert_eq!(summary, BatchSummary { counted: 99, writes: drivers, rejected: 1 });
    assert_eq!(updates.calls(), drivers, "one UpdateItem per driver");
    assert!(drivers < 25, "{drivers} writes for 99 votes");
    assert_eq!(vote_counts(&client, &table).await.values().sum::<u64>(), 99);
}
// ANCHOR_END: writes_test

#[tokio::test]
async fn every_recorded_batch_adds_up_to_the_results() {
    let client = dynamodb();
    let table = results_table(&client, "day06-all").await;

    for batch in fixture_batches("votes") {
        handle(&client, &table, batch).await.unwrap();
    }

    let results = vote_counts(&client, &table).await;
    assert_eq!(results.values().sum::<u64>(), 398, "400 votes, 2 rejected");
    insta::assert_json_snapshot!(results);
}

/// A driver's item says when its count last changed: `updatedAt`, the time
/// of the last addition, as RFC 3339 text (the item's shape at the top of
/// the day's code).
#[tokio::test]
async fn a_count_is_stamped_with_the_time_of_its_last_update() {
    let client = dynamodb();
    let table = results_table(&client, "day06-stamp").await;
    let slack = chrono::Duration::seconds(1);

    let before = chrono::Utc::now();
    add_votes(&client, &table, "NOR", 3).await.unwrap();
    // An old stamp, as if the first addition were long ago: the next one
    // must replace it (the *last* update's time).
    client
        .update_item()
        .table_name(&table)
        .key("driver", aws_sdk_dynamodb::types::AttributeValue::S("NOR".into()))
        .update_expression("SET updatedAt = :old")
        .expression_attribute_values(
            ":old",
            aws_sdk_dynamodb::types::AttributeValue::S("2000-01-01T00:00:00Z".into()),
        )
        .send()
        .await
        .unwrap();
    add_votes(&client, &table, "NOR", 2).await.unwrap();
    let after = chrono::Utc::now();

    let items = pitlane_testkit::scan_all(&client, &table).await;
    assert_eq!(items.len(), 1, "one item per driver");
    let item = &items[0];
    assert_eq!(item["votes"].as_n().map(String::as_str), Ok("5"));
    let stamp = item
        .get("updatedAt")
        .expect("the driver's item has no updatedAt: stamp it in the same UpdateItem as the ADD")
        .as_s()
        .expect("updatedAt is RFC 3339 text (a string), not a number of seconds");
    let stamped = chrono::DateTime::parse_from_rfc3339(stamp)
        .unwrap_or_else(|e| panic!("updatedAt {stamp:?} is not RFC 3339: {e}"));
    assert!(
        before - slack <= stamped && stamped <= after + slack,
        "updatedAt {stamp} is not the time of the update (between {before} and {after})"
    );
}

/// `ADD` is applied by DynamoDB itself, one addition after the other: many
/// consumers (one per shard) can add to one driver at once and none is lost.
/// A count read first and written back is lost when another consumer writes
/// in between.
#[tokio::test]
async fn concurrent_additions_are_never_lost() {
    let client = dynamodb();
    let table = results_table(&client, "day06-concurrent").await;

    let mut additions = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (client, table) = (client.clone(), table.clone());
        additions.spawn(async move { add_votes(&client, &table, "NOR", 1).await });
    }
    while let Some(added) = additions.join_next().await {
        added.expect("the addition panicked").unwrap();
    }

    let votes = vote_counts(&client, &table).await["NOR"];
    assert_eq!(
        votes, 20,
        "20 additions of one vote made at once left {votes}: a count read and then written \
         back loses the additions made in between; ADD it in one atomic UpdateItem"
    );
}

/// A write that fails must fail the invocation, so that the event-source
/// mapping delivers the batch again: swallowed (logged and forgotten), its
/// votes are lost.
#[tokio::test]
async fn a_failed_write_fails_the_batch_so_that_it_comes_again() {
    // The second UpdateItem fails on its way, as a network failure would.
    let client = dynamodb_with(CallFaults::<UpdateItemInput>::new([false, true]));
    let table = results_table(&client, "day06-failed-write").await;

    let result = handle(&client, &table, fixture(BATCH)).await;

    assert!(
        matches!(result, Err(CountError::DynamoDb(_))),
        "a failed UpdateItem must fail the batch, so that it comes again; got {result:?}"
    );
}

// ANCHOR: twice_test
#[tokio::test]
async fn a_batch_delivered_twice_is_counted_twice_which_day_07_fixes() {
    let client = dynamodb();
    let table = results_table(&client, "day06-twice").await;

    handle(&client, &table, fixture(BATCH)).await.unwrap();
    handle(&client, &table, fixture(BATCH)).await.unwrap();

    // At-least-once delivery meets a plain counter: 99 votes counted as 198.
    assert_eq!(vote_counts(&client, &table).await.values().sum::<u64>(), 198);
}
// ANCHOR_END: twice_test

#[tokio::test]
async fn end_to_end_the_stream_is_counted_through_the_event_source_mapping() {
    let (kinesis, stream) = stream_holding(&all_records("votes"), 2, "day06-e2e").await;
    let dynamodb = dynamodb();
    let table = results_table(&dynamodb, "day06-e2e").await;

    let function = {
        let (client, table) = (dynamodb.clone(), table.clone());
        InProcess::new(
            "count-votes",
            Duration::from_secs(10),
            move |event: LambdaEvent<KinesisEvent>| {
                let (client, table) = (client.clone(), table.clone());
                async move { handle(&client, &table, event.payload).await }
            },
        )
    };
    let config = EsmConfig {
        maximum_retry_attempts: Some(2),
        retry_delay: Duration::ZERO,
        ..EsmConfig::new(&stream)
    };
    let report = run_until_caught_up(&kinesis, &config, Arc::new(function)).await.unwrap();

    assert_eq!((report.records_succeeded, report.records_given_up), (400, 0));
    assert_eq!(vote_counts(&dynamodb, &table).await.values().sum::<u64>(), 398);
}
