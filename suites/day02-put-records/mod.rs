//! What day 02's producer must do. Tests that talk to Kinesis create their
//! own stream (unique name) on the local backend, so they run in parallel.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_kinesis::operation::put_records::PutRecordsOutput;
use aws_sdk_kinesis::types::{PutRecordsResultEntry, Record};
use pitlane::sensors::{SensorReading, Simulator};
use pitlane_testkit::{
    Fault, PutRecordsFaults, assert_waited_without_blocking, kinesis, kinesis_with, read_all,
    stream_with_shards, unique_name, with_ticker,
};

use crate::sut::{
    MAX_BYTES_PER_CALL, MAX_BYTES_PER_RECORD, Outgoing, ProduceError, PutReport, RetryPolicy,
    encode, partition_key, plan_calls, put_all, put_batch, put_one, refused_records,
};

fn readings(count: usize) -> Vec<SensorReading> {
    Simulator::new(7, 8).take(count)
}

fn records(count: usize) -> Vec<Outgoing> {
    readings(count).iter().map(|reading| encode(reading).unwrap()).collect()
}

/// Retries without the waiting, so that the tests stay fast.
fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

/// The `seq` of every stored reading, sorted.
fn stored_seqs(stored: &[(String, Record)]) -> Vec<u64> {
    let mut seqs: Vec<u64> = stored
        .iter()
        .map(|(_, record)| {
            serde_json::from_slice::<SensorReading>(record.data().as_ref()).unwrap().seq
        })
        .collect();
    seqs.sort_unstable();
    seqs
}

fn record_of_size(key: &str, size: usize) -> Result<Outgoing, ProduceError> {
    Outgoing::new(key, vec![b'x'; size - key.len()])
}

#[test]
fn readings_are_keyed_by_their_sensor() {
    for reading in readings(20) {
        assert_eq!(partition_key(&reading), reading.sensor_id);
    }
}

#[test]
fn a_reading_is_sent_as_its_json() {
    let reading = readings(1).remove(0);

    let record = encode(&reading).unwrap();

    assert_eq!(record.partition_key(), reading.sensor_id);
    let back: SensorReading = serde_json::from_slice(record.data()).unwrap();
    assert_eq!(back, reading);
    insta::assert_snapshot!(String::from_utf8(record.data().to_vec()).unwrap());
}

#[test]
fn a_record_over_one_mebibyte_is_refused_with_a_clear_error() {
    // The partition key counts towards the limit too.
    assert!(record_of_size("turn-01", MAX_BYTES_PER_RECORD).is_ok());

    // (Not `unwrap_err`: its message would print the whole mebibyte.)
    let Err(error) = record_of_size("turn-01", MAX_BYTES_PER_RECORD + 1) else {
        panic!("a record of {} bytes, key included, was accepted", MAX_BYTES_PER_RECORD + 1);
    };

    assert!(
        matches!(&error, ProduceError::TooLarge { partition_key, size } if partition_key == "turn-01" && *size == MAX_BYTES_PER_RECORD + 1),
        "got {error:?}"
    );
    assert_eq!(
        error.to_string(),
        "record with partition key \"turn-01\" is 1048577 bytes; a stream takes at most 1 MiB by default"
    );
}

#[test]
fn a_partition_key_has_one_to_256_characters() {
    assert!(Outgoing::new("k".repeat(256), b"{}".to_vec()).is_ok());

    let empty = Outgoing::new("", b"{}".to_vec()).unwrap_err();
    let long = Outgoing::new("k".repeat(257), b"{}".to_vec()).unwrap_err();

    assert!(matches!(empty, ProduceError::InvalidPartitionKey { length: 0 }), "got {empty:?}");
    assert!(matches!(long, ProduceError::InvalidPartitionKey { length: 257 }), "got {long:?}");
    // Characters, not bytes: "ñ" is two bytes of UTF-8.
    assert!(Outgoing::new("ñ".repeat(256), b"{}".to_vec()).is_ok(), "256 characters, 512 bytes");
    let wide = Outgoing::new("ñ".repeat(257), b"{}".to_vec()).unwrap_err();
    assert!(matches!(wide, ProduceError::InvalidPartitionKey { length: 257 }), "got {wide:?}");
}

#[test]
fn a_call_holds_at_most_500_records() {
    assert_eq!(plan_calls(&records(1201)), [0..500, 500..1000, 1000..1201]);
    assert_eq!(plan_calls(&records(500)), vec![0..500]);
}

#[test]
fn a_call_holds_at_most_5_mib() {
    let big: Vec<Outgoing> =
        (0..12).map(|_| record_of_size("turn-01", 1000 * 1024).unwrap()).collect();

    let plan = plan_calls(&big);

    assert_eq!(plan, [0..5, 5..10, 10..12]);
}

#[test]
fn a_call_is_filled_up_to_exactly_5_mib() {
    let full: Vec<Outgoing> =
        (0..6).map(|_| record_of_size("turn-01", MAX_BYTES_PER_RECORD).unwrap()).collect();
    assert_eq!(5 * MAX_BYTES_PER_RECORD, MAX_BYTES_PER_CALL);

    assert_eq!(plan_calls(&full[..5]), vec![0..5]);
    assert_eq!(plan_calls(&full), [0..5, 5..6]);
}

#[test]
fn nothing_to_send_needs_no_call() {
    assert!(plan_calls(&[]).is_empty());
}

#[test]
fn refused_records_are_read_from_the_answer() {
    let sent = records(4);
    let stored = |n: &str| {
        PutRecordsResultEntry::builder().shard_id("shardId-000000000000").sequence_number(n).build()
    };
    let refused = PutRecordsResultEntry::builder()
        .error_code("ProvisionedThroughputExceededException")
        .error_message("Rate exceeded for shard shardId-000000000000")
        .build();
    let answer = PutRecordsOutput::builder()
        .failed_record_count(2)
        .records(stored("1"))
        .records(refused.clone())
        .records(stored("2"))
        .records(refused)
        .build()
        .unwrap();

    assert_eq!(refused_records(&sent, &answer), [sent[1].clone(), sent[3].clone()]);
}

#[test]
fn backoff_grows_exponentially_with_jitter_and_is_capped() {
    let policy = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
    };
    for (retry, bound_ms) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (40, 1000)] {
        let delays: Vec<Duration> = (0..300).map(|_| policy.backoff(retry)).collect();
        let bound = Duration::from_millis(bound_ms);
        assert!(delays.iter().all(|d| *d <= bound), "retry {retry}: a delay exceeds {bound:?}");
        // Full jitter: spread over the whole range, not a fixed value.
        assert!(delays.iter().any(|d| *d > bound * 3 / 4), "retry {retry}: never near {bound:?}");
        assert!(delays.iter().any(|d| *d < bound / 4), "retry {retry}: never near zero");
    }
}

/// The other days' tests count attempts with this policy, and must not wait.
#[test]
fn an_immediate_policy_keeps_its_attempts_and_never_waits() {
    let policy = RetryPolicy::immediate(4);
    assert_eq!(policy.max_attempts, 4);
    assert!((1..=40).all(|retry| policy.backoff(retry) == Duration::ZERO));
}

#[tokio::test]
async fn put_one_says_where_the_record_went() {
    let client = kinesis();
    let stream = unique_name("day02-one");
    stream_with_shards(&client, &stream, 1).await;
    let record = records(1).remove(0);

    let receipt = put_one(&client, &stream, &record).await.unwrap();

    assert_eq!(receipt.shard_id, "shardId-000000000000");
    let stored = read_all(&client, &stream).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].1.sequence_number(), receipt.sequence_number);
    assert_eq!(stored[0].1.partition_key(), Some(record.partition_key()));
    assert_eq!(stored[0].1.data().as_ref(), record.data());
}

#[tokio::test]
async fn put_all_stores_every_reading_exactly_once_in_few_calls() {
    let client = kinesis();
    let stream = unique_name("day02-all");
    stream_with_shards(&client, &stream, 4).await;

    let report = put_all(&client, &stream, records(1234), &RetryPolicy::default()).await.unwrap();

    assert_eq!(report, PutReport { records: 1234, calls: 3, retried: 0 });
    let stored = read_all(&client, &stream).await;
    assert_eq!(
        stored_seqs(&stored),
        (0..1234).collect::<Vec<u64>>(),
        "a reading is missing or doubled"
    );
    // Each sensor's readings are on one shard (its partition key), and the
    // eight sensors spread over several shards. (Their order within one
    // PutRecords call is not guaranteed: see the chapter.)
    let mut shards_of_sensor: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (shard, record) in &stored {
        let reading: SensorReading = serde_json::from_slice(record.data().as_ref()).unwrap();
        shards_of_sensor.entry(reading.sensor_id.clone()).or_default().insert(shard.clone());
    }
    assert!(shards_of_sensor.values().all(|shards| shards.len() == 1));
    let shards_used: BTreeSet<_> = shards_of_sensor.values().flatten().collect();
    assert!(shards_used.len() > 1, "all sensors landed on one shard");
}

// ANCHOR: retry_test
#[tokio::test]
async fn refused_records_are_sent_again_and_only_they() {
    let faults = PutRecordsFaults::new([Fault::Refuse(vec![1, 3])]);
    let client = kinesis_with(faults.clone());
    let stream = unique_name("day02-retry");
    stream_with_shards(&client, &stream, 2).await;

    let report = put_all(&client, &stream, records(5), &quick_retries(3)).await.unwrap();

    assert_eq!(report, PutReport { records: 5, calls: 2, retried: 2 });
    assert_eq!(faults.call_sizes(), [5, 2], "the retry must carry the two refused records only");
    assert_eq!(stored_seqs(&read_all(&client, &stream).await), [0, 1, 2, 3, 4]);
}
// ANCHOR_END: retry_test

/// A retry comes after a wait, drawn at random up to a bound that doubles
/// (full jitter): a throttled shard refuses an immediate retry too, and
/// producers throttled together would come back together. The check does not
/// time the code: it adds up the waits between an answer and the next call
/// (the backend's own time left out). Eight waits each drawn from
/// 0 ..= 300 ms add up to at least 100 ms but for odds of one in 250 million
/// (3⁻⁸ / 8!); without the waits they add up to well under a millisecond.
#[tokio::test]
async fn refused_records_are_sent_again_only_after_a_backoff_wait() {
    let faults = PutRecordsFaults::new((0..8).map(|_| Fault::Refuse(vec![0])));
    let client = kinesis_with(faults.clone());
    let stream = unique_name("day02-backoff");
    stream_with_shards(&client, &stream, 1).await;
    let bound = Duration::from_millis(300);
    let policy = RetryPolicy { max_attempts: 9, base_delay: bound, max_delay: bound };

    let (report, ticks) = with_ticker(put_all(&client, &stream, records(2), &policy)).await;
    let report = report.unwrap();

    assert_eq!(report.calls, 9, "eight refusals, then the record is stored");
    let waits = faults.waits_between_calls();
    let waited: Duration = waits.iter().sum();
    assert!(waited >= bound / 3, "eight retries waited {waited:?} in all ({waits:?}): no backoff");
    // A wait that blocks the thread lets the ticker tick only while a call is out.
    assert_waited_without_blocking(ticks, waited);
}

/// A backoff comes before a *retry*, never before a first attempt: records
/// nobody refused are sent at once. The policy here would wait up to an hour
/// before any call, so an implementation that waits first does not finish
/// within the minute (three batches: the odds that three waits drawn from
/// 0 ..= 1 h all fall under a minute are under one in 200,000).
#[tokio::test]
async fn a_first_attempt_is_never_delayed() {
    let client = kinesis();
    let stream = unique_name("day02-first");
    stream_with_shards(&client, &stream, 1).await;
    let hour = Duration::from_secs(3600);
    let policy = RetryPolicy { max_attempts: 3, base_delay: hour, max_delay: hour };

    for _ in 0..3 {
        let put = tokio::time::timeout(
            Duration::from_secs(60),
            put_all(&client, &stream, records(5), &policy),
        )
        .await
        .expect("a batch nobody refused waited before its first attempt");
        assert_eq!(put.unwrap().calls, 1);
    }
}

#[tokio::test]
async fn records_still_refused_after_the_last_attempt_are_handed_back() {
    let faults = PutRecordsFaults::new([
        Fault::Refuse(vec![0]),
        Fault::Refuse(vec![0]),
        Fault::Refuse(vec![0]),
    ]);
    let client = kinesis_with(faults.clone());
    let stream = unique_name("day02-give-up");
    stream_with_shards(&client, &stream, 1).await;
    let sent = records(4);

    let error = put_all(&client, &stream, sent.clone(), &quick_retries(3)).await.unwrap_err();

    assert!(matches!(&error, ProduceError::GaveUp { attempts: 3, .. }), "got {error:?}");
    assert_eq!(error.unsent(), [sent[0].clone()]);
    assert!(error.to_string().contains("ProvisionedThroughputExceededException"), "{error}");
    assert_eq!(faults.call_sizes(), [4, 1, 1]);
    assert_eq!(stored_seqs(&read_all(&client, &stream).await), [1, 2, 3]);
}

/// A give-up in the first of two calls hands back the records it could not
/// store *and* those of the call never made: none vanishes.
#[tokio::test]
async fn a_give_up_hands_back_its_refused_records_and_all_later_ones() {
    let faults = PutRecordsFaults::new([
        Fault::Refuse(vec![0]),
        Fault::Refuse(vec![0]),
        Fault::Refuse(vec![0]),
    ]);
    let client = kinesis_with(faults.clone());
    let stream = unique_name("day02-give-up-later");
    stream_with_shards(&client, &stream, 1).await;
    let sent = records(600);

    let error = put_all(&client, &stream, sent.clone(), &quick_retries(3)).await.unwrap_err();

    assert!(matches!(&error, ProduceError::GaveUp { attempts: 3, .. }), "got {error:?}");
    let mut expected = vec![sent[0].clone()];
    expected.extend_from_slice(&sent[500..]);
    assert_eq!(error.unsent(), expected, "the refused record, then the 100 of the call not made");
    assert_eq!(faults.call_sizes(), [500, 1, 1], "no call after the give-up");
}

/// When a *retry* call fails, only the records still unsent come back: the
/// ones the first call stored are not handed back, or the caller would store
/// them twice.
#[tokio::test]
async fn a_failed_retry_hands_back_only_the_records_still_unsent() {
    let faults = PutRecordsFaults::new([Fault::Refuse(vec![1, 3]), Fault::FailCall]);
    let client = kinesis_with(faults.clone());
    let stream = unique_name("day02-retry-fails");
    stream_with_shards(&client, &stream, 1).await;
    let sent = records(5);

    let error = put_batch(&client, &stream, sent.clone(), &quick_retries(3)).await.unwrap_err();

    assert!(matches!(&error, ProduceError::CallFailed { .. }), "got {error:?}");
    assert_eq!(error.unsent(), [sent[1].clone(), sent[3].clone()]);
    assert_eq!(faults.call_sizes(), [5, 2]);
}

#[tokio::test]
async fn a_failed_call_hands_back_its_records_and_all_later_ones() {
    let faults = PutRecordsFaults::new([Fault::Pass, Fault::FailCall]);
    let client = kinesis_with(faults.clone());
    let stream = unique_name("day02-call-fails");
    stream_with_shards(&client, &stream, 1).await;
    let sent = records(1200);

    let error = put_all(&client, &stream, sent.clone(), &quick_retries(3)).await.unwrap_err();

    assert!(matches!(&error, ProduceError::CallFailed { .. }), "got {error:?}");
    assert_eq!(error.unsent(), &sent[500..], "records 500..1200 were not stored");
    assert_eq!(faults.call_sizes(), [500, 500]);
    assert_eq!(stored_seqs(&read_all(&client, &stream).await), (0..500).collect::<Vec<u64>>());
}
