//! What day 03's reader must do. The data comes from recorded batches
//! (`fixtures/sensors/`), replayed into a fresh stream per test.

use std::time::Duration;

use aws_sdk_kinesis::operation::get_records::GetRecordsInput;
use aws_sdk_kinesis::primitives::{Blob, DateTime as SdkDateTime};
use aws_sdk_kinesis::types::Record;
use pitlane::lambda::{KinesisEventRecord, batch};
use pitlane_testkit::{
    Call, CallFaults, EmptyPagesBehind, FaultProxy, KinesisEvent, Reply,
    assert_waited_without_blocking, fixture, kinesis, kinesis_with, replay, stream_with_shards,
    unique_name, with_ticker,
};

use crate::sut::{
    DecodedRecord, MAX_THROTTLED_READS, Payload, ReadError, SequenceNumber, ShardReader,
    StartingPosition, THROTTLED_READ_PAUSE, decode,
};

/// 100 readings as Lambda delivered them; record 64 was cut short by its
/// sensor and is not valid JSON.
const BATCH: &str = "sensors/shardId-000000000001-batch-01.json";
const NEXT_BATCH: &str = "sensors/shardId-000000000001-batch-02.json";
const CUT_SHORT: usize = 64;

fn seq(text: &str) -> SequenceNumber {
    text.parse().unwrap()
}

/// Records `range` of the recorded batch, as a batch of their own.
fn records(range: std::ops::Range<usize>) -> KinesisEvent {
    batch(fixture(BATCH).records[range].to_vec())
}

/// A record as `GetRecords` returns it, made from a recorded one.
fn as_get_records_record(recorded: &KinesisEventRecord) -> Record {
    let kinesis = &recorded.kinesis;
    Record::builder()
        .sequence_number(&kinesis.sequence_number)
        .partition_key(&kinesis.partition_key)
        .data(Blob::new(kinesis.data.to_vec()))
        .approximate_arrival_timestamp(SdkDateTime::from_millis(
            kinesis.approximate_arrival_timestamp.timestamp_millis(),
        ))
        .build()
        .unwrap()
}

/// What the payload of a recorded record must decode to.
fn expected_payload(recorded: &KinesisEventRecord) -> Payload {
    match serde_json::from_slice(&recorded.kinesis.data) {
        Ok(value) => Payload::Json(value),
        Err(error) => Payload::NotJson {
            error: error.to_string(),
            raw: String::from_utf8_lossy(&recorded.kinesis.data).into_owned(),
        },
    }
}

async fn stream_holding(batch: &KinesisEvent, prefix: &str) -> (aws_sdk_kinesis::Client, String) {
    let client = kinesis();
    let stream = unique_name(prefix);
    stream_with_shards(&client, &stream, 1).await;
    replay(&client, &stream, batch).await;
    (client, stream)
}

async fn read_from(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    position: StartingPosition,
) -> Vec<DecodedRecord> {
    let mut reader =
        ShardReader::open(client, stream, "shardId-000000000000", &position).await.unwrap();
    reader.read_until_caught_up(100).await.unwrap()
}

fn payloads(records: &[DecodedRecord]) -> Vec<Payload> {
    records.iter().map(|record| record.payload.clone()).collect()
}

fn expected_payloads(records: &[KinesisEventRecord]) -> Vec<Payload> {
    records.iter().map(expected_payload).collect()
}

// ANCHOR: numbers_test
#[test]
fn sequence_numbers_compare_as_numbers_not_as_text() {
    assert!("9" > "10", "as text, 9 comes after 10 ...");
    assert!(seq("9") < seq("10"), "... as numbers, it comes before");

    let recorded = "49680576900898465931130187359206005721748317127974060034";
    let longer = format!("{recorded}0");
    assert!(seq(recorded) < seq(&longer));
    assert!(seq(&u64::MAX.to_string()) < seq(recorded), "sequence numbers outgrow u64");
    assert_eq!(seq("007"), seq("7"));
    assert_eq!(seq("000"), seq("0"));
    assert_eq!((seq("007").to_string(), seq("000").as_str()), ("7".to_owned(), "0"));
}
// ANCHOR_END: numbers_test

#[test]
fn a_sequence_number_is_digits_only() {
    for bad in ["", "12a", "-1", " 1", "1.0", "４２"] {
        let error = bad.parse::<SequenceNumber>().unwrap_err();
        assert!(
            matches!(&error, ReadError::InvalidSequenceNumber(text) if text == bad),
            "{bad:?}: {error:?}"
        );
    }
    assert_eq!(
        "12a".parse::<SequenceNumber>().unwrap_err().to_string(),
        "\"12a\" is not a sequence number: it must be decimal digits only"
    );
}

#[test]
fn recorded_sequence_numbers_increase_within_a_shard() {
    let mut recorded: Vec<SequenceNumber> = [fixture(BATCH), fixture(NEXT_BATCH)]
        .iter()
        .flat_map(|batch| batch.records.iter().map(|r| seq(&r.kinesis.sequence_number)))
        .collect();
    assert_eq!(recorded.len(), 162);
    assert!(recorded.windows(2).all(|pair| pair[0] < pair[1]), "not increasing");

    let in_order = recorded.clone();
    recorded.reverse();
    recorded.sort();
    assert_eq!(recorded, in_order);
}

#[test]
fn decode_reads_the_json_payload_and_the_metadata() {
    let recorded = &fixture(BATCH).records[0];

    let decoded = decode("shardId-000000000001", &as_get_records_record(recorded));

    assert_eq!(decoded.shard_id, "shardId-000000000001");
    assert_eq!(decoded.sequence_number, seq(&recorded.kinesis.sequence_number));
    assert_eq!(decoded.partition_key, recorded.kinesis.partition_key);
    assert_eq!(decoded.arrived_at, Some(recorded.kinesis.approximate_arrival_timestamp.0));
    assert_eq!(decoded.payload, expected_payload(recorded));
    assert!(matches!(decoded.payload, Payload::Json(_)));
}

#[test]
fn a_record_that_is_not_json_is_reported_not_dropped() {
    let recorded = &fixture(BATCH).records[CUT_SHORT];

    let decoded = decode("shardId-000000000001", &as_get_records_record(recorded));

    let Payload::NotJson { error, raw } = &decoded.payload else {
        panic!("expected NotJson, got {:?}", decoded.payload);
    };
    assert_eq!(
        raw.as_bytes(),
        &recorded.kinesis.data[..],
        "the raw text is kept, for a person to look at"
    );
    assert!(raw.starts_with(r#"{"sensorId":"turn-03","#), "{raw}");
    assert!(error.contains("EOF"), "the error should say why: {error}");
}

#[test]
fn a_record_that_is_not_utf_8_is_reported_not_a_panic() {
    // Kinesis stores bytes: nothing promises text. Decoding never fails.
    let record = Record::builder()
        .sequence_number("49680")
        .partition_key("sensor-9")
        .data(Blob::new(vec![0xff, 0xfe, b'{', b'"']))
        .build()
        .unwrap();

    let decoded = decode("shardId-000000000000", &record);

    let Payload::NotJson { error, raw } = &decoded.payload else {
        panic!("expected NotJson, got {:?}", decoded.payload);
    };
    assert!(raw.contains('\u{FFFD}'), "the bytes that are not UTF-8 show as �: {raw:?}");
    assert!(raw.ends_with("{\""), "the rest is kept: {raw:?}");
    assert!(!error.is_empty(), "the error says why");
}

#[tokio::test]
async fn reads_a_recorded_batch_back_from_trim_horizon_page_by_page() {
    let batch = fixture(BATCH);
    let (client, stream) = stream_holding(&batch, "day03-replay").await;

    let mut reader =
        ShardReader::open(&client, &stream, "shardId-000000000000", &StartingPosition::TrimHorizon)
            .await
            .unwrap();
    let records = reader.read_until_caught_up(30).await.unwrap();

    assert_eq!(payloads(&records), expected_payloads(&batch.records), "every record, in order");
    assert!(
        records.iter().zip(&batch.records).all(|(r, b)| r.partition_key == b.kinesis.partition_key)
    );
    assert!(records.windows(2).all(|pair| pair[0].sequence_number < pair[1].sequence_number));
    // 100 records 30 at a time: 4 pages, then an empty one that says "caught up".
    assert_eq!(
        reader.calls, 5,
        "4 pages of records, then one empty page at 0 ms behind: stop only after that one"
    );
    let shown = [&records[0], &records[1], &records[CUT_SHORT]];
    insta::assert_json_snapshot!(shown, {
        "[].sequence_number" => "[sequence number]",
        "[].arrived_at" => "[arrival time]",
    });
}

#[tokio::test]
async fn starts_at_or_after_a_sequence_number() {
    let (client, stream) = stream_holding(&records(0..5), "day03-seq").await;
    let all = read_from(&client, &stream, StartingPosition::TrimHorizon).await;
    let third = all[2].sequence_number.clone();

    let at = read_from(&client, &stream, StartingPosition::AtSequenceNumber(third.clone())).await;
    let after = read_from(&client, &stream, StartingPosition::AfterSequenceNumber(third)).await;

    assert_eq!(payloads(&at), payloads(&all[2..]));
    assert_eq!(payloads(&after), payloads(&all[3..]));
}

#[tokio::test]
async fn latest_starts_after_what_is_already_there() {
    let (client, stream) = stream_holding(&records(0..3), "day03-latest").await;
    let mut reader =
        ShardReader::open(&client, &stream, "shardId-000000000000", &StartingPosition::Latest)
            .await
            .unwrap();

    let later = records(3..5);
    replay(&client, &stream, &later).await;
    let read = reader.read_until_caught_up(100).await.unwrap();

    assert_eq!(payloads(&read), expected_payloads(&later.records));
}

#[tokio::test]
async fn at_timestamp_starts_with_the_first_record_that_arrived_then() {
    let (client, stream) = stream_holding(&records(0..3), "day03-time").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cut = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let later = records(3..5);
    replay(&client, &stream, &later).await;

    let read = read_from(&client, &stream, StartingPosition::AtTimestamp(cut)).await;

    assert_eq!(payloads(&read), expected_payloads(&later.records));
}

/// Kinesis may answer a page with no records while data lies further on:
/// the iterator is still behind the tip of the shard, and
/// `MillisBehindLatest` says by how much. Only an empty page at 0 ms behind
/// means caught up; a reader that stops at the first empty page misses
/// everything after it.
#[tokio::test]
async fn empty_pages_behind_the_tip_do_not_end_the_reading() {
    let (_, stream) = stream_holding(&records(0..10), "day03-gap").await;
    let gap = EmptyPagesBehind::new(3);
    let client = kinesis_with(gap.clone());

    let read = read_from(&client, &stream, StartingPosition::TrimHorizon).await;

    assert_eq!(gap.served(), 3, "the reader was given three empty pages behind the tip");
    assert_eq!(
        payloads(&read),
        payloads(&read_from(&kinesis(), &stream, StartingPosition::TrimHorizon).await)
    );
    assert_eq!(read.len(), 10, "every record after the empty pages is read");
}

#[tokio::test]
async fn a_throttled_page_is_read_again_after_a_pause_not_an_error() {
    let (_, stream) = stream_holding(&records(0..10), "day03-throttled").await;
    // The shard refuses the first two reads, as a busy shard does.
    let mut refused = 0;
    let proxy = FaultProxy::kinesis_with(move |call: &Call| {
        if call.operation == "GetRecords" && refused < 2 {
            refused += 1;
            Reply::Throttle
        } else {
            Reply::Forward
        }
    })
    .await;
    let client = proxy.kinesis(1);
    let mut reader =
        ShardReader::open(&client, &stream, "shardId-000000000000", &StartingPosition::TrimHorizon)
            .await
            .unwrap();

    let started = std::time::Instant::now();
    let (read, ticks) = with_ticker(reader.read_until_caught_up(100)).await;
    let took = started.elapsed();

    assert_eq!(read.expect("a throttled page is not the end").len(), 10, "every record read");
    assert_eq!(proxy.stats().throttled, 2);
    assert!(took >= THROTTLED_READ_PAUSE * 2, "two pauses before reading again; took {took:?}");
    assert_waited_without_blocking(ticks, took);
}

#[tokio::test]
async fn a_shard_that_stays_busy_is_given_up_after_ten_waits_and_other_failures_at_once() {
    let (_, stream) = stream_holding(&records(0..3), "day03-busy").await;
    let read = |reply: Reply| {
        let stream = stream.clone();
        async move {
            let proxy = FaultProxy::kinesis_with(move |call: &Call| {
                if call.operation == "GetRecords" { reply.clone() } else { Reply::Forward }
            })
            .await;
            let client = proxy.kinesis(1);
            let position = StartingPosition::TrimHorizon;
            let mut reader = ShardReader::open(&client, &stream, "shardId-000000000000", &position)
                .await
                .unwrap();
            let result = reader.read_until_caught_up(100).await;
            (result.map(|records| records.len()), reader.calls)
        }
    };

    let (result, calls) = read(Reply::Throttle).await;
    assert!(matches!(result, Err(ReadError::Kinesis(_))), "{result:?}");
    assert_eq!(calls, 1 + MAX_THROTTLED_READS as usize, "the first read, then ten waits and reads");

    // Not throttling: a retry cannot help, the error comes back at once.
    let (result, calls) = read(Reply::ServerError).await;
    assert!(matches!(result, Err(ReadError::Kinesis(_))), "{result:?}");
    assert_eq!(calls, 1, "a failure that is not the shard being busy is not waited out");
}

#[tokio::test]
async fn an_empty_shard_is_caught_up_at_once() {
    let (client, stream) = stream_holding(&records(0..0), "day03-empty").await;

    let mut reader =
        ShardReader::open(&client, &stream, "shardId-000000000000", &StartingPosition::TrimHorizon)
            .await
            .unwrap();
    let read = reader.read_until_caught_up(100).await.unwrap();

    assert!(read.is_empty());
    assert_eq!(reader.calls, 1, "one empty page at 0 ms behind is the end");
    assert!(reader.is_open(), "the shard is open: more records may come");
}

/// After a split (or a merge) the parent shard is *closed*: it keeps its
/// records, and once they are read Kinesis hands out no next iterator. The
/// reader stops there and says so; the records go on in the child shards.
#[tokio::test]
async fn a_closed_shard_is_read_to_its_end_and_then_the_reader_is_closed() {
    let client = kinesis();
    let stream = unique_name("day03-closed");
    stream_with_shards(&client, &stream, 1).await;
    replay(&client, &stream, &records(0..10)).await;
    let parent = client.list_shards().stream_name(&stream).send().await.unwrap().shards()[0]
        .shard_id()
        .to_owned();
    client
        .split_shard()
        .stream_name(&stream)
        .shard_to_split(&parent)
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        let summary = client.describe_stream_summary().stream_name(&stream).send().await.unwrap();
        let status = summary.stream_description_summary().map(|s| s.stream_status().clone());
        if status == Some(aws_sdk_kinesis::types::StreamStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut reader =
        ShardReader::open(&client, &stream, &parent, &StartingPosition::TrimHorizon).await.unwrap();
    let read = reader.read_until_caught_up(100).await.unwrap();

    assert_eq!(read.len(), 10, "a closed shard keeps its records");
    assert!(!reader.is_open(), "the parent is closed: there is no next iterator");
}

/// A `GetRecords` call that fails (throttled, or the network) leaves the
/// reader where it was: still open, at the same iterator, so that the next
/// call reads the records. A reader that gave up its iterator first would
/// close on the first failure and never read that shard again.
#[tokio::test]
async fn a_failed_call_leaves_the_reader_open_where_it_was() {
    let (_, stream) = stream_holding(&records(0..10), "day03-call-fails").await;
    let client = kinesis_with(CallFaults::<GetRecordsInput>::new([true]));
    let mut reader =
        ShardReader::open(&client, &stream, "shardId-000000000000", &StartingPosition::TrimHorizon)
            .await
            .unwrap();

    assert!(reader.next_page(100).await.is_err(), "the first call fails");
    assert!(reader.is_open(), "a failed call does not close the reader");
    let page = reader.next_page(100).await.unwrap();

    assert_eq!(page.records.len(), 10, "the next call reads from where the reader was");
}
