//! What day 04's consumer must do. Batches are the recorded sensor batches
//! (`fixtures/sensors/`); tables live on the local DynamoDB, one per test.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::LambdaEvent;
use pitlane::lambda::KinesisEvent;
use pitlane_esm::{EsmConfig, InProcess, run_until_caught_up};
use pitlane_testkit::{
    BatchWriteItemFaults, Fault, all_records, dynamodb, dynamodb_with, fixture, item_to_json,
    scan_all, stream_holding, unique_name,
};
use serde_json::json;

use crate::sut::{
    EventLogError, RetryPolicy, WriteReport, create_table, event_id, handle, to_attribute, to_item,
    write_items,
};

/// 100 sensor readings as Lambda delivered them; record 64 is not JSON.
const BATCH: &str = "sensors/shardId-000000000001-batch-01.json";
const CUT_SHORT: usize = 64;

async fn new_table(client: &aws_sdk_dynamodb::Client, prefix: &str) -> String {
    let table = unique_name(prefix);
    create_table(client, &table).await.unwrap();
    table
}

fn text(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> String {
    item[name].as_s().unwrap_or_else(|_| panic!("{name} is not a string")).clone()
}

#[test]
fn event_ids_are_stable_and_distinct_uuids() {
    let batch = fixture(BATCH);

    let ids: Vec<String> = batch.records.iter().map(event_id).collect();

    assert_eq!(
        ids,
        batch.records.iter().map(event_id).collect::<Vec<_>>(),
        "the same record, the same id"
    );
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 100, "every record its own id");
    for id in &ids {
        let uuid = uuid::Uuid::parse_str(id).unwrap();
        assert_eq!(uuid.get_version_num(), 5, "{id} is not derived (v5) from the record");
    }
}

#[test]
fn a_json_payload_becomes_a_dynamodb_map() {
    let value = json!({"sensorId": "turn-01", "value": 21.5, "seq": 12345678901234567890u64,
                       "ok": true, "note": null, "tags": ["a", 2]});

    let attribute = to_attribute(&value);

    let map = attribute.as_m().expect("an object becomes a map (M), not a JSON string");
    assert_eq!(map["sensorId"], AttributeValue::S("turn-01".into()));
    assert_eq!(map["value"], AttributeValue::N("21.5".into()));
    assert_eq!(
        map["seq"],
        AttributeValue::N("12345678901234567890".into()),
        "numbers keep their exact text"
    );
    assert_eq!(map["ok"], AttributeValue::Bool(true));
    assert_eq!(map["note"], AttributeValue::Null(true));
    assert_eq!(
        map["tags"],
        AttributeValue::L(vec![AttributeValue::S("a".into()), AttributeValue::N("2".into())])
    );
}

#[test]
fn a_record_becomes_an_item_with_its_payload_and_where_it_came_from() {
    let record = &fixture(BATCH).records[0];

    let item = to_item(record);

    assert_eq!(text(&item, "eventId"), event_id(record));
    assert_eq!(text(&item, "kinesisEventId"), record.event_id.clone().unwrap());
    assert_eq!(text(&item, "sequenceNumber"), record.kinesis.sequence_number);
    let arrived =
        chrono::DateTime::parse_from_rfc3339(&text(&item, "arrivedAt")).expect("RFC 3339");
    assert_eq!(arrived, record.kinesis.approximate_arrival_timestamp.0);
    insta::assert_json_snapshot!(item_to_json(&item), {
        ".eventId.S" => "[uuid v5 of kinesisEventId]",
        ".kinesisEventId.S" => "[shardId-000000000001:sequence number]",
        ".sequenceNumber.S" => "[sequence number]",
        ".arrivedAt.S" => "[arrival time]",
    });
}

#[test]
fn a_record_that_is_not_json_is_stored_raw_with_the_reason() {
    let record = &fixture(BATCH).records[CUT_SHORT];

    let item = to_item(record);

    assert!(!item.contains_key("payload"));
    assert_eq!(text(&item, "rawPayload").as_bytes(), &record.kinesis.data[..]);
    assert!(text(&item, "payloadError").contains("EOF"), "{}", text(&item, "payloadError"));
}

#[tokio::test]
async fn a_batch_becomes_one_item_per_record() {
    let client = dynamodb();
    let table = new_table(&client, "day04-batch").await;
    let batch = fixture(BATCH);

    let report = handle(&client, &table, batch.clone()).await.unwrap();

    assert_eq!(report, WriteReport { items: 100, calls: 4, retried: 0 });
    let stored: HashSet<String> =
        scan_all(&client, &table).await.iter().map(|item| text(item, "eventId")).collect();
    assert_eq!(stored, batch.records.iter().map(event_id).collect());
}

// ANCHOR: twice_test
#[tokio::test]
async fn a_batch_delivered_twice_is_stored_once() {
    let client = dynamodb();
    let table = new_table(&client, "day04-twice").await;

    handle(&client, &table, fixture(BATCH)).await.unwrap();
    handle(&client, &table, fixture(BATCH)).await.unwrap();

    assert_eq!(scan_all(&client, &table).await.len(), 100, "a retried batch must not add items");
}
// ANCHOR_END: twice_test

#[tokio::test]
async fn items_go_out_25_at_a_time_and_unprocessed_ones_are_sent_again() {
    let faults = BatchWriteItemFaults::new([Fault::Pass, Fault::Refuse(vec![0, 7, 24])]);
    let client = dynamodb_with(faults.clone());
    let table = new_table(&client, "day04-unprocessed").await;
    let items: Vec<_> = fixture(BATCH).records.iter().map(to_item).collect();

    let report = write_items(&client, &table, items, &RetryPolicy::immediate(3)).await.unwrap();

    assert_eq!(
        faults.call_sizes(),
        [25, 25, 3, 25, 25],
        "the retry carries the 3 unprocessed items only"
    );
    assert_eq!(report, WriteReport { items: 100, calls: 5, retried: 3 });
    assert_eq!(scan_all(&client, &table).await.len(), 100);
}

/// A retry comes after a wait, drawn at random up to a bound that doubles
/// (full jitter): a throttled table refuses an immediate retry too, and
/// consumers throttled together would come back together. The check does not
/// time the code: it adds up the waits between an answer and the next call
/// (the backend's own time left out). Eight waits each drawn from
/// 0 ..= 300 ms add up to at least 100 ms but for odds of one in 250 million
/// (3⁻⁸ / 8!); without the waits they add up to well under a millisecond.
#[tokio::test]
async fn unprocessed_items_are_sent_again_only_after_a_backoff_wait() {
    let faults = BatchWriteItemFaults::new((0..8).map(|_| Fault::Refuse(vec![0])));
    let client = dynamodb_with(faults.clone());
    let table = new_table(&client, "day04-backoff").await;
    let items: Vec<_> = fixture(BATCH).records.iter().take(1).map(to_item).collect();
    let bound = Duration::from_millis(300);
    let policy = RetryPolicy { max_attempts: 9, base_delay: bound, max_delay: bound };

    let report = write_items(&client, &table, items, &policy).await.unwrap();

    assert_eq!(report.calls, 9, "eight times unprocessed, then stored");
    let waits = faults.waits_between_calls();
    let waited: Duration = waits.iter().sum();
    assert!(waited >= bound / 3, "eight retries waited {waited:?} in all ({waits:?}): no backoff");
}

#[tokio::test]
async fn items_still_unprocessed_after_the_last_attempt_fail_the_invocation() {
    // Item 1 is refused, and refused again each time it is sent alone.
    let faults = BatchWriteItemFaults::new([
        Fault::Refuse(vec![1]),
        Fault::Refuse(vec![0]),
        Fault::Refuse(vec![0]),
    ]);
    let client = dynamodb_with(faults.clone());
    let table = new_table(&client, "day04-give-up").await;
    let items: Vec<_> = fixture(BATCH).records[..10].iter().map(to_item).collect();

    let error = write_items(&client, &table, items, &RetryPolicy::immediate(3)).await.unwrap_err();

    // An error makes the event-source mapping deliver the batch again: with
    // deterministic ids, that retry is harmless.
    assert!(matches!(error, EventLogError::Unprocessed { count: 1, attempts: 3 }), "got {error:?}");
    assert_eq!(
        error.to_string(),
        "1 item(s) still unprocessed after 3 attempts; the batch must be retried"
    );
    assert_eq!(scan_all(&client, &table).await.len(), 9);
}

#[tokio::test]
async fn end_to_end_every_reading_of_the_stream_lands_in_the_table() {
    let (kinesis, stream) = stream_holding(&all_records("sensors"), 2, "day04-e2e").await;
    let dynamodb = dynamodb();
    let table = new_table(&dynamodb, "day04-e2e").await;

    let function = {
        let (client, table) = (dynamodb.clone(), table.clone());
        InProcess::new(
            "event-logs",
            Duration::from_secs(10),
            move |event: LambdaEvent<KinesisEvent>| {
                let (client, table) = (client.clone(), table.clone());
                async move { handle(&client, &table, event.payload).await }
            },
        )
    };
    // A few retries at most: a handler that keeps failing must fail the test,
    // not block the shard forever (AWS's default).
    let config = EsmConfig {
        maximum_retry_attempts: Some(2),
        retry_delay: Duration::ZERO,
        ..EsmConfig::new(&stream)
    };
    let report = run_until_caught_up(&kinesis, &config, Arc::new(function)).await.unwrap();

    assert_eq!((report.records_succeeded, report.records_given_up), (240, 0));
    let items = scan_all(&dynamodb, &table).await;
    assert_eq!(items.len(), 240);
    assert_eq!(
        items.iter().filter(|item| item.contains_key("payloadError")).count(),
        1,
        "the cut-short reading"
    );
}
