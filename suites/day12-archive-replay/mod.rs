//! What day 12 must do: keep every record byte for byte in S3, one object
//! per shard and hour, written again alike when a batch comes again; list a
//! time range back in the stream's order; and replay it, or exactly the
//! batch an on-failure message names, through the exactly-once consumer, so
//! that counts a bug got wrong are rebuilt exactly, and a second replay
//! changes nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, TimeZone as _, Utc};
use lambda_runtime::{Diagnostic, LambdaEvent};
use pitlane::lambda::{KinesisEvent, KinesisEventRecord, batch};
use pitlane::votes::Vote;
use pitlane_esm::{EsmConfig, InProcess, Invoke, OnFailure, run_until_caught_up};
use pitlane_sfn::{Failure, StateMachine, task};
use pitlane_testkit::{
    all_records, dynamodb, expected_votes, kinesis, local_endpoint, read_all, scan_all,
    stream_holding, table_state, unique_name, valid_vote, vote_counts, workspace_root,
};
use serde_json::{Value, json};

use crate::sut::lambda::{ReplayRequest, archive, replay, replay_json};
use crate::sut::{
    Archive, ArchivedRecord, CONCURRENCY, Consumer, FailedBatch, Replayer, RetryPolicy, ShardRange,
    Tables, archive_batch, archived, compare_sequence_numbers, create_tables, decode, encode,
    handle, object_key, objects_of_shard, replay_failed_batch, replay_shard, restored,
};

/// The most a vote can be, as day 09 reads it.
const MAX_VOTE_BYTES: usize = 2048;
const SHARD: &str = "shardId-000000000000";

// ─── the local backend ──────────────────────────────────────────────────────

/// An S3 client for the local backend (moto): one address for every bucket,
/// so the bucket goes in the path.
async fn s3() -> aws_sdk_s3::Client {
    let config = pitlane::aws::load_config().await;
    let config = aws_sdk_s3::config::Builder::from(&config)
        .endpoint_url(local_endpoint("AWS_ENDPOINT_URL_S3"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A new, empty bucket.
async fn new_archive(prefix: &str) -> Archive {
    let client = s3().await;
    let bucket = unique_name(prefix);
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    Archive { client, bucket }
}

async fn new_tables(prefix: &str) -> Tables {
    let tables = Tables {
        votes: unique_name(&format!("{prefix}-votes")),
        results: unique_name(&format!("{prefix}-results")),
        dead_letters: unique_name(&format!("{prefix}-dead")),
    };
    create_tables(&dynamodb(), &tables).await.unwrap();
    tables
}

fn replayer(archive: &Archive, tables: &Tables) -> Replayer {
    let consumer =
        Consumer { client: dynamodb(), tables: tables.clone(), retry: RetryPolicy::immediate(3) };
    Replayer { archive: archive.clone(), consumer }
}

/// Every key in the bucket, in S3's (text) order.
async fn every_key(archive: &Archive) -> Vec<String> {
    let listed = archive.client.list_objects_v2().bucket(&archive.bucket).send().await.unwrap();
    listed.contents().iter().filter_map(|o| o.key()).map(str::to_owned).collect()
}

async fn get(archive: &Archive, key: &str) -> aws_sdk_s3::operation::get_object::GetObjectOutput {
    archive.client.get_object().bucket(&archive.bucket).key(key).send().await.unwrap()
}

async fn body(archive: &Archive, key: &str) -> Vec<u8> {
    get(archive, key).await.body.collect().await.unwrap().into_bytes().to_vec()
}

/// Puts `records` as one object under its proper key, as an archiver would.
async fn put(archive: &Archive, records: &[ArchivedRecord]) -> String {
    let key = object_key(&records[0]);
    let bytes = ByteStream::from(encode(records));
    archive.client.put_object().bucket(&archive.bucket).key(&key).body(bytes).send().await.unwrap();
    key
}

async fn counts(tables: &Tables) -> BTreeMap<String, u64> {
    vote_counts(&dynamodb(), &tables.results).await
}

/// Deletes every item of `table` (key attribute `key`): a table emptied for
/// a rebuild.
async fn empty(table: &str, key: &str) {
    for item in scan_all(&dynamodb(), table).await {
        let delete = dynamodb().delete_item().table_name(table).key(key, item[key].clone());
        delete.send().await.unwrap();
    }
}

// ─── records ────────────────────────────────────────────────────────────────

fn at(hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 5, hour, minute, second).unwrap()
}

/// A record as Lambda delivers it, of `shard`, with sequence number `seq`.
fn record(
    shard: &str,
    key: &str,
    data: &[u8],
    seq: &str,
    arrived: DateTime<Utc>,
) -> KinesisEventRecord {
    let mut record = KinesisEventRecord::default();
    record.kinesis.partition_key = key.to_owned();
    record.kinesis.sequence_number = seq.to_owned();
    record.kinesis.data.extend_from_slice(data);
    record.kinesis.approximate_arrival_timestamp.0 = arrived;
    record.event_id = Some(format!("{shard}:{seq}"));
    record.event_source_arn =
        Some("arn:aws:kinesis:us-east-1:123456789012:stream/day12".to_owned());
    record
}

fn vote(user: &str, driver: &str) -> Vec<u8> {
    let vote = Vote { vote: driver.to_owned(), user: user.to_owned(), voted_at: at(15, 0, 0) };
    serde_json::to_vec(&vote).unwrap()
}

/// A vote record of shard 0, keyed by its fan.
fn vote_record(user: &str, driver: &str, seq: &str, arrived: DateTime<Utc>) -> ArchivedRecord {
    archived(&record(SHARD, user, &vote(user, driver), seq, arrived)).unwrap()
}

/// A realistic sequence number, the `n`th of the shard.
fn seq(n: usize) -> String {
    format!("4966{n:052}")
}

// ─── archiving ──────────────────────────────────────────────────────────────

#[test]
fn a_record_is_kept_byte_for_byte_with_where_it_came_from() {
    // Not UTF-8, not a vote: kept all the same.
    let data = [0xff, 0xfe, b'{', 0x00, 0xc3, 0x28, b'\n'];
    let original = record("shardId-000000000003", "fan-7", &data, &seq(42), at(15, 32, 7));
    let kept = archived(&original).unwrap();
    assert_eq!(kept.shard_id, "shardId-000000000003", "the shard comes from the eventID");
    assert_eq!(kept.sequence_number, seq(42));
    assert_eq!(kept.partition_key, "fan-7");
    assert_eq!(kept.approximate_arrival_timestamp, at(15, 32, 7));
    assert_eq!(kept.event_source_arn, original.event_source_arn, "the stream it came from");

    // Through the archive's own encoding and back: the very same record.
    let back = decode("k", &encode(std::slice::from_ref(&kept))).unwrap();
    assert_eq!(back, std::slice::from_ref(&kept));
    let again = restored(&back[0]).unwrap();
    assert_eq!(again.kinesis.data.0, data, "every byte, as it was sent");
    assert_eq!(again.kinesis.sequence_number, original.kinesis.sequence_number);
    assert_eq!(again.kinesis.partition_key, original.kinesis.partition_key);
    assert_eq!(again.event_id, original.event_id);
    assert_eq!(again.kinesis.approximate_arrival_timestamp.0, at(15, 32, 7));

    let mut nameless = original.clone();
    nameless.event_id = None;
    assert!(archived(&nameless).is_err(), "a record whose shard is unknown cannot be filed");

    // An object whose second line is damaged says where.
    let mut damaged = encode(&[kept.clone(), kept]);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&damaged[..]), &mut text)
        .unwrap();
    let second = text.lines().nth(1).unwrap().replace("sequenceNumber", "sequence");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gzip,
        format!("{}\n{second}\n", text.lines().next().unwrap()).as_bytes(),
    )
    .unwrap();
    damaged = gzip.finish().unwrap();
    let error = decode("raw/k", &damaged).unwrap_err().to_string();
    assert!(error.starts_with("raw/k, line 2: "), "{error}");
}

#[test]
fn the_key_names_the_hour_of_arrival_in_utc_then_the_shard_and_the_first_sequence_number() {
    let first =
        vote_record("fan-1", "VER", &seq(7), Utc.with_ymd_and_hms(2026, 3, 4, 5, 59, 59).unwrap());
    assert_eq!(
        object_key(&first),
        format!("raw/2026/03/04/05/shardId-000000000000-{}.jsonl.gz", seq(7)),
        "year/month/day/hour of arrival in UTC (not local time), each zero-padded (so that \
         keys sort by time), the hour not the minute"
    );
    let late =
        vote_record("fan-1", "VER", "9", Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap());
    assert_eq!(object_key(&late), "raw/2026/12/31/23/shardId-000000000000-9.jsonl.gz");
}

#[tokio::test]
async fn a_batch_across_an_hour_is_two_objects_and_the_same_batch_again_writes_the_same_bytes() {
    let archive = new_archive("day12-hours").await;
    let records = vec![
        record(SHARD, "fan-1", &vote("fan-1", "VER"), &seq(1), at(14, 59, 58)),
        record(SHARD, "fan-2", b"\xff not a vote", &seq(2), at(14, 59, 59)),
        record(SHARD, "fan-3", &vote("fan-3", "NOR"), &seq(3), at(15, 0, 1)),
    ];
    let event = batch(records.clone());
    let keys = archive_batch(&archive, &event).await.unwrap();
    let want = [
        format!("raw/2026/07/05/14/{SHARD}-{}.jsonl.gz", seq(1)),
        format!("raw/2026/07/05/15/{SHARD}-{}.jsonl.gz", seq(3)),
    ];
    assert_eq!(keys, want, "one object per hour of arrival, named after its first record");
    assert_eq!(every_key(&archive).await, want);

    let first = get(&archive, &keys[0]).await;
    assert_eq!(first.content_encoding(), Some("gzip"), "a reader must know to unzip it");
    assert!(first.content_type().is_some_and(|t| t.contains("json")), "{:?}", first.content_type());
    let bytes = [body(&archive, &keys[0]).await, body(&archive, &keys[1]).await];
    let kept: Vec<ArchivedRecord> =
        [decode(&keys[0], &bytes[0]).unwrap(), decode(&keys[1], &bytes[1]).unwrap()].concat();
    let want: Vec<ArchivedRecord> = records.iter().map(|r| archived(r).unwrap()).collect();
    assert_eq!(kept, want, "every record, the one that is not a vote too, in order");

    // The mapping delivers the batch again (a timeout after the puts): the
    // same objects, the same bytes, nothing more.
    assert_eq!(archive_batch(&archive, &event).await.unwrap(), keys);
    assert_eq!(every_key(&archive).await, keys);
    assert_eq!([body(&archive, &keys[0]).await, body(&archive, &keys[1]).await], bytes);
}

#[tokio::test]
async fn a_put_s3_refuses_fails_the_batch_so_that_it_is_retried() {
    let real = new_archive("day12-refused").await;
    let gone = Archive { bucket: unique_name("day12-no-such-bucket"), ..real };
    let event = batch(vec![record(SHARD, "fan-1", &vote("fan-1", "VER"), &seq(1), at(15, 0, 0))]);
    let result = archive_batch(&gone, &event).await;
    assert!(result.is_err(), "a batch that was not archived must fail: {result:?}");
    let error = archive(&gone, event).await.unwrap_err();
    assert_eq!(Diagnostic::from(error).error_type, "S3");
}

#[tokio::test]
async fn a_record_that_cannot_be_filed_fails_the_batch() {
    let archive = new_archive("day12-unfiled").await;
    let mut nameless = record(SHARD, "fan-2", &vote("fan-2", "NOR"), &seq(2), at(15, 0, 1));
    nameless.event_id = None;
    let event =
        batch(vec![record(SHARD, "fan-1", &vote("fan-1", "VER"), &seq(1), at(15, 0, 0)), nameless]);
    let result = archive_batch(&archive, &event).await;
    assert!(result.is_err(), "a record left out of the archive must fail the batch: {result:?}");
}

// ─── listing ────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_shards_objects_are_listed_hour_by_hour_and_ordered_by_sequence_number_as_a_number() {
    let archive = new_archive("day12-list").await;
    let other = "shardId-000000000001";
    let keys = [
        put(&archive, &[vote_record("a", "VER", "100", at(14, 10, 0))]).await,
        put(&archive, &[vote_record("b", "VER", "9", at(13, 5, 0))]).await,
        put(&archive, &[vote_record("c", "VER", "10", at(13, 59, 0))]).await,
        put(&archive, &[vote_record("d", "VER", "8", at(12, 59, 59))]).await,
        put(&archive, &[vote_record("e", "VER", "200", at(16, 0, 0))]).await,
    ];
    let mut elsewhere = vote_record("f", "VER", "50", at(14, 0, 0));
    elsewhere.shard_id = other.to_owned();
    put(&archive, &[elsewhere]).await;
    // Keys under the prefix that are not archive objects: left alone.
    for stray in
        [format!("raw/2026/07/05/14/{SHARD}-.jsonl.gz"), "raw/2026/07/05/14/-7.jsonl.gz".into()]
    {
        let body = ByteStream::from(encode(&[vote_record("g", "VER", "7", at(14, 0, 0))]));
        archive
            .client
            .put_object()
            .bucket(&archive.bucket)
            .key(stray)
            .body(body)
            .send()
            .await
            .unwrap();
    }

    // From 13:30 to 15:10: the hours 13, 14 and 15, this shard only.
    let listed = objects_of_shard(&archive, SHARD, at(13, 30, 0), at(15, 10, 0)).await.unwrap();
    let mut found = listed.clone();
    found.sort();
    let mut want = vec![keys[0].clone(), keys[1].clone(), keys[2].clone()];
    want.sort();
    assert_eq!(
        found, want,
        "the objects of the hours 13, 14 and 15, first and last hour included, of this shard only: \
         12:59 is before the range's first hour, 16:00 after its last"
    );
    assert_eq!(
        listed,
        [keys[1].clone(), keys[2].clone(), keys[0].clone()],
        "in the shard's order: 9 < 10 < 100, sequence numbers compare as numbers, not as text"
    );
    let one = objects_of_shard(&archive, other, at(14, 0, 0), at(14, 0, 0)).await.unwrap();
    assert_eq!(one.len(), 1, "an instant is its hour");
}

// ─── replaying ──────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_shard_replay_counts_the_votes_of_its_range_in_the_streams_order_and_again_changes_nothing()
 {
    let archive = new_archive("day12-replay").await;
    let tables = new_tables("day12-replay").await;
    // fan-1 votes VER first (sequence 9), then HAM (10): written as two
    // objects whose keys sort the other way as text.
    put(&archive, &[vote_record("fan-1", "VER", "9", at(14, 20, 0))]).await;
    put(
        &archive,
        &[
            vote_record("fan-1", "HAM", "10", at(14, 21, 0)),
            vote_record("fan-2", "NOR", "11", at(14, 22, 0)),
        ],
    )
    .await;
    // Before the range, in its first hour: not replayed.
    put(&archive, &[vote_record("fan-3", "LEC", "5", at(14, 5, 0))]).await;
    // After the range, in its last hour: not replayed.
    put(&archive, &[vote_record("fan-4", "PIA", "20", at(15, 50, 0))]).await;
    // At the range's very first and last instants: replayed (both ends are
    // included).
    put(&archive, &[vote_record("fan-5", "ALO", "7", at(14, 10, 0))]).await;
    put(&archive, &[vote_record("fan-6", "RUS", "15", at(15, 30, 0))]).await;

    let range = ShardRange { shard: SHARD.to_owned(), from: at(14, 10, 0), to: at(15, 30, 0) };
    let replayer = replayer(&archive, &tables);
    let summary = replay_shard(&replayer, &range).await.unwrap();
    assert_eq!(
        counts(&tables).await,
        BTreeMap::from([
            ("ALO".to_owned(), 1),
            ("NOR".to_owned(), 1),
            ("RUS".to_owned(), 1),
            ("VER".to_owned(), 1)
        ]),
        "fan-1's first vote (VER) counts, as it did live; 14:05 and 15:50 are outside the \
         range; 14:10:00 and 15:30:00 are its ends, and in it"
    );
    assert_eq!(
        (summary.objects, summary.records),
        (6, 5),
        "every object of the range's hours is read, and only the range's records replayed: {summary:?}"
    );

    let before = [
        table_state(&dynamodb(), &tables.votes, &[]).await,
        table_state(&dynamodb(), &tables.results, &["updatedAt"]).await,
    ];
    replay_shard(&replayer, &range).await.unwrap();
    let after = [
        table_state(&dynamodb(), &tables.votes, &[]).await,
        table_state(&dynamodb(), &tables.results, &["updatedAt"]).await,
    ];
    assert_eq!(after, before, "a replay run twice changes nothing");
}

#[tokio::test]
async fn a_replay_that_cannot_read_its_archive_fails_instead_of_counting_nothing() {
    let archive = new_archive("day12-unread").await;
    let tables = new_tables("day12-unread").await;
    let gone = Archive { bucket: unique_name("day12-no-such-bucket"), ..archive };
    let range = ShardRange { shard: SHARD.to_owned(), from: at(14, 0, 0), to: at(15, 0, 0) };
    let error = replay_shard(&replayer(&gone, &tables), &range).await.unwrap_err();
    assert_eq!(Diagnostic::from(error).error_type, "Archive", "the state machine retries it");
}

#[tokio::test]
async fn an_object_that_cannot_be_read_fails_the_replay_instead_of_being_skipped() {
    let archive = new_archive("day12-corrupt").await;
    let tables = new_tables("day12-corrupt").await;
    put(&archive, &[vote_record("fan-1", "VER", "9", at(14, 20, 0))]).await;
    let key = format!("raw/2026/07/05/14/{SHARD}-10.jsonl.gz");
    let garbage = ByteStream::from_static(b"not gzip at all");
    archive
        .client
        .put_object()
        .bucket(&archive.bucket)
        .key(&key)
        .body(garbage)
        .send()
        .await
        .unwrap();
    let range = ShardRange { shard: SHARD.to_owned(), from: at(14, 0, 0), to: at(15, 0, 0) };
    let result = replay_shard(&replayer(&archive, &tables), &range).await;
    let error = result.expect_err("an object that cannot be read is an error, not skipped");
    assert_eq!(Diagnostic::from(error).error_type, "Archive");
}

/// The failure message the mapping sends for a batch of shard 0 from
/// `first` to `last`, `size` records, arrived from `from` to `to`.
fn failed_batch(
    first: &str,
    last: &str,
    size: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Value {
    json!({
        "requestContext": {"requestId": "r", "functionArn": "f", "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 2},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-07-05T16:00:00Z",
        "KinesisBatchInfo": {
            "shardId": SHARD,
            "startSequenceNumber": first,
            "endSequenceNumber": last,
            "approximateArrivalOfFirstRecord": from,
            "approximateArrivalOfLastRecord": to,
            "batchSize": size,
            "streamArn": "arn:aws:kinesis:us-east-1:123456789012:stream/day12"
        }
    })
}

#[tokio::test]
async fn a_batch_given_up_is_replayed_exactly_from_its_first_to_its_last_record() {
    let archive = new_archive("day12-failed").await;
    let tables = new_tables("day12-failed").await;
    // The batch given up is 9..=11, across two hours; 8 and 12 are not in it.
    put(
        &archive,
        &[
            vote_record("fan-8", "ALO", "8", at(13, 59, 0)),
            vote_record("fan-9", "VER", "9", at(13, 59, 30)),
        ],
    )
    .await;
    put(
        &archive,
        &[
            vote_record("fan-10", "NOR", "10", at(14, 0, 10)),
            vote_record("fan-11", "LEC", "11", at(14, 0, 20)),
            vote_record("fan-12", "PIA", "12", at(14, 0, 30)),
        ],
    )
    .await;
    // Record 11 archived twice: a retried batch was split, and its second
    // half archived again under its own first record.
    put(&archive, &[vote_record("fan-11", "LEC", "11", at(14, 0, 20))]).await;
    let message = failed_batch("9", "11", 3, at(13, 59, 30), at(14, 0, 20));
    let failed: FailedBatch = serde_json::from_value(message.clone()).unwrap();
    let replayer = replayer(&archive, &tables);

    let summary = replay_failed_batch(&replayer, &failed)
        .await
        .expect("records 9 to 11 (as numbers: 9 < 10 < 11) are all in the archive");
    assert_eq!(summary.records, 3, "each of the batch's records once, 11 too: {summary:?}");
    let want =
        BTreeMap::from([("VER".to_owned(), 1), ("NOR".to_owned(), 1), ("LEC".to_owned(), 1)]);
    assert_eq!(
        counts(&tables).await,
        want,
        "exactly the batch's records: 9, 10 and 11 (as numbers)"
    );

    // Replayed again (the queue delivered the message twice): no change.
    replay_failed_batch(&replayer, &failed).await.unwrap();
    assert_eq!(counts(&tables).await, want);

    // A batch the archive holds only part of is an error, and nothing of it
    // is replayed (on fresh tables: nothing counted).
    let fresh = new_tables("day12-short").await;
    let bigger = failed_batch("9", "11", 5, at(13, 59, 30), at(14, 0, 20));
    let bigger: FailedBatch = serde_json::from_value(bigger).unwrap();
    let result = replay_failed_batch(&self::replayer(&archive, &fresh), &bigger).await;
    let error = result.expect_err("2 records missing from the archive must be said");
    assert_eq!(Diagnostic::from(error).error_type, "Incomplete");
    assert!(
        counts(&fresh).await.is_empty(),
        "a batch the archive cannot give whole is not replayed"
    );
}

#[tokio::test]
async fn the_queues_messages_are_replayed_and_one_that_fails_stays_on_the_queue() {
    let archive = new_archive("day12-queue").await;
    let tables = new_tables("day12-queue").await;
    put(&archive, &[vote_record("fan-1", "VER", "1", at(14, 0, 0))]).await;
    let good = failed_batch("1", "1", 1, at(14, 0, 0), at(14, 0, 0));
    let missing = failed_batch("2", "2", 1, at(14, 0, 0), at(14, 0, 0));
    let event = json!({"Records": [
        {"messageId": "m-good", "body": good.to_string(), "eventSource": "aws:sqs"},
        {"messageId": "m-garbled", "body": "not json", "eventSource": "aws:sqs"},
        {"messageId": "m-missing", "body": missing.to_string(), "eventSource": "aws:sqs"},
    ]});
    let request: ReplayRequest = serde_json::from_value(event).unwrap();
    let response = replay(&replayer(&archive, &tables), request).await.unwrap();
    let response = serde_json::to_value(response).unwrap();
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "m-garbled"}, {"itemIdentifier": "m-missing"}]})
    );
    assert_eq!(counts(&tables).await, BTreeMap::from([("VER".to_owned(), 1)]));
}

// ─── end to end ─────────────────────────────────────────────────────────────

/// The replay function as the state machine's task, in process: JSON in,
/// JSON out, a failure named as Lambda names it (`errorType`).
fn replay_task(replayer: Replayer) -> pitlane_sfn::Task {
    let replayer = Arc::new(replayer);
    task(move |input: Value| {
        let replayer = replayer.clone();
        async move {
            replay_json(&replayer, input)
                .await
                .map_err(|d| Failure::new(d.error_type, d.error_message))
        }
    })
}

/// template.yaml's state machine, with the replay function in process.
fn state_machine(replayer: Replayer) -> StateMachine {
    StateMachine::from_template(&workspace_root().join("template.yaml"), "ReplayStateMachine")
        .expect("template.yaml's ReplayStateMachine runs locally")
        .with_task("ReplayFunctionArn", replay_task(replayer))
        .with_wait_scale(0.0)
}

/// A counter with a bug: it counts every valid vote, a fan's second vote too.
/// (One `ADD` per driver a batch names, not one per vote: the same wrong
/// counts, for a tenth of the calls.)
fn buggy_counter(tables: &Tables) -> Arc<dyn Invoke> {
    let (client, results) = (dynamodb(), tables.results.clone());
    Arc::new(InProcess::new(
        "buggy",
        Duration::from_secs(10),
        move |event: LambdaEvent<KinesisEvent>| {
            let (client, results) = (client.clone(), results.clone());
            async move {
                let mut per_driver = BTreeMap::<String, u64>::new();
                for record in &event.payload.records {
                    if let Some(vote) = valid_vote(&record.kinesis.data) {
                        *per_driver.entry(vote.vote).or_default() += 1;
                    }
                }
                for (driver, votes) in per_driver {
                    client
                        .update_item()
                        .table_name(&results)
                        .key("driver", AttributeValue::S(driver))
                        .update_expression("ADD votes :n")
                        .expression_attribute_values(":n", AttributeValue::N(votes.to_string()))
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok::<_, String>(())
            }
        },
    ))
}

/// The archiver, in process.
fn archiver(archive: &Archive) -> Arc<dyn Invoke> {
    let archive = archive.clone();
    Arc::new(InProcess::new(
        "archive-votes",
        Duration::from_secs(10),
        move |event: LambdaEvent<KinesisEvent>| {
            let archive = archive.clone();
            async move { self::archive(&archive, event.payload).await.map_err(|e| e.to_string()) }
        },
    ))
}

/// Every record of `stream`, shard after shard in sequence order, as Lambda
/// delivers it (with its arrival time in the stream): what an independent
/// count is made from.
async fn in_stream(stream: &str) -> Vec<KinesisEventRecord> {
    read_all(&kinesis(), stream)
        .await
        .iter()
        .map(|(shard, r)| {
            let arrived = r.approximate_arrival_timestamp().unwrap().to_millis().unwrap();
            let arrived = DateTime::from_timestamp_millis(arrived).unwrap();
            let key = r.partition_key().unwrap_or_default();
            record(shard, key, r.data().as_ref(), r.sequence_number(), arrived)
        })
        .collect()
}

/// A mapping that polls often and retries at once, twice: a function that
/// keeps failing (a `todo!`) has its batches given up, not retried forever.
fn fast(stream: &str) -> EsmConfig {
    EsmConfig {
        retry_delay: Duration::ZERO,
        poll_interval: Duration::from_millis(50),
        maximum_retry_attempts: Some(2),
        ..EsmConfig::new(stream)
    }
}

#[tokio::test]
async fn end_to_end_counts_a_bug_got_wrong_are_rebuilt_exactly_by_the_state_machine() {
    let votes = all_records("votes");
    let started = Utc::now() - chrono::Duration::seconds(5);
    let (kinesis, stream) = stream_holding(&votes, 2, "day12-e2e").await;
    // What the stream holds, read before the mappings spend its shards' 5
    // reads a second (it changes no more: nothing writes to it after this).
    let delivered = in_stream(&stream).await;
    let archive = new_archive("day12-e2e").await;
    let tables = new_tables("day12-e2e").await;

    // Two mappings on the stream: the archiver, and a counter with a bug.
    run_until_caught_up(&kinesis, &fast(&stream), archiver(&archive)).await.unwrap();
    run_until_caught_up(&kinesis, &fast(&stream), buggy_counter(&tables)).await.unwrap();
    let expected = expected_votes(&delivered, MAX_VOTE_BYTES).counts;
    assert_ne!(counts(&tables).await, expected, "the bug counts fans' second votes");

    // Every record is in the archive, byte for byte, the poison too.
    let mut kept = Vec::new();
    for key in every_key(&archive).await {
        kept.extend(decode(&key, &body(&archive, &key).await).unwrap());
    }
    kept.sort_by(|a, b| {
        (&a.shard_id, a.sequence_number.len(), &a.sequence_number).cmp(&(
            &b.shard_id,
            b.sequence_number.len(),
            &b.sequence_number,
        ))
    });
    let data = |records: &[ArchivedRecord]| -> Vec<(String, String)> {
        records.iter().map(|r| (r.sequence_number.clone(), r.data.clone())).collect()
    };
    let want: Vec<ArchivedRecord> = delivered.iter().map(|r| archived(r).unwrap()).collect();
    assert_eq!(data(&kept), data(&want), "every record of the stream, once, byte for byte");

    // The fix: empty the counts and the fans' votes, and replay the archive.
    empty(&tables.results, "driver").await;
    empty(&tables.votes, "user").await;
    let input = json!({"from": started, "to": Utc::now() + chrono::Duration::seconds(5)});
    let output = state_machine(replayer(&archive, &tables)).run(input.clone()).await.unwrap();
    assert_eq!(output.as_array().map(Vec::len), Some(2), "one replay per shard: {output}");
    assert_eq!(counts(&tables).await, expected, "rebuilt exactly, against an independent count");

    // And again: nothing changes.
    let before = table_state(&dynamodb(), &tables.votes, &[]).await;
    state_machine(replayer(&archive, &tables)).run(input).await.unwrap();
    assert_eq!(counts(&tables).await, expected);
    assert_eq!(table_state(&dynamodb(), &tables.votes, &[]).await, before);
    kinesis.delete_stream().stream_name(&stream).send().await.unwrap();
}

#[tokio::test]
async fn end_to_end_a_batch_given_up_over_a_poison_record_is_replayed_from_its_queue_message() {
    let votes = all_records("votes");
    let (kinesis, stream) = stream_holding(&votes, 1, "day12-given-up").await;
    let in_the_stream = in_stream(&stream).await; // read before the mappings (see above)
    let archive = new_archive("day12-given-up").await;
    let tables = new_tables("day12-given-up").await;
    let sqs = aws_sdk_sqs::Client::new(&pitlane::aws::load_config().await);
    let queue = sqs.create_queue().queue_name(unique_name("day12-failed")).send().await.unwrap();
    let queue_url = queue.queue_url().unwrap().to_owned();

    run_until_caught_up(&kinesis, &fast(&stream), archiver(&archive)).await.unwrap();
    // A counter with a bug: day 11's, but a batch holding a record that is
    // not a vote fails whole. Retried once, it is given up, and the mapping
    // sends its position to the queue.
    let consumer =
        Consumer { client: dynamodb(), tables: tables.clone(), retry: RetryPolicy::immediate(3) };
    let buggy = InProcess::new(
        "counter",
        Duration::from_secs(10),
        move |event: LambdaEvent<KinesisEvent>| {
            let consumer = consumer.clone();
            async move {
                if event.payload.records.iter().any(|r| valid_vote(&r.kinesis.data).is_none()) {
                    return Err("cannot parse a vote".to_owned());
                }
                Ok(handle(&consumer, event.payload, CONCURRENCY).await)
            }
        },
    );
    let config = EsmConfig {
        maximum_retry_attempts: Some(1),
        report_batch_item_failures: true,
        on_failure: Some(OnFailure::Sqs { client: sqs.clone(), queue_url: queue_url.clone() }),
        ..fast(&stream)
    };
    let report = run_until_caught_up(&kinesis, &config, Arc::new(buggy)).await.unwrap();
    assert!(
        !report.failures.is_empty(),
        "the batches with a record that is not a vote are given up"
    );
    let given_up: Vec<_> = report.failures.iter().map(|f| f.kinesis_batch_info.clone()).collect();
    let in_a_batch_given_up = |seq: &str| {
        given_up.iter().any(|batch| {
            compare_sequence_numbers(seq, &batch.start_sequence_number).is_ge()
                && compare_sequence_numbers(seq, &batch.end_sequence_number).is_le()
        })
    };
    // The independent count, in the order the votes are counted: the
    // batches given up come last, replayed after every later batch. (A fan
    // who voted in one and again later has the later vote counted: a replay
    // of one batch cannot put it back in its place. Rebuilding the whole
    // range, as the other end-to-end test does, can.)
    let (replayed, live): (Vec<KinesisEventRecord>, Vec<KinesisEventRecord>) =
        in_the_stream.into_iter().partition(|r| in_a_batch_given_up(&r.kinesis.sequence_number));
    assert_eq!(replayed.len(), given_up.iter().map(|b| b.batch_size).sum::<usize>());
    assert_eq!(counts(&tables).await, expected_votes(&live, MAX_VOTE_BYTES).counts);
    let expected = expected_votes(live.iter().chain(&replayed), MAX_VOTE_BYTES).counts;
    assert_ne!(counts(&tables).await, expected, "the given-up batches' votes are missing");

    // After the fix: the queue's message, as Lambda would deliver it.
    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let records: Vec<Value> = received
        .messages()
        .iter()
        .map(|m| json!({"messageId": m.message_id().unwrap(), "body": m.body().unwrap()}))
        .collect();
    assert_eq!(records.len(), given_up.len(), "one message per batch given up");
    let request: ReplayRequest = serde_json::from_value(json!({"Records": records})).unwrap();
    let replayer = replayer(&archive, &tables);
    let response = serde_json::to_value(replay(&replayer, request.clone()).await.unwrap()).unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(counts(&tables).await, expected, "the batch's votes, and nothing counted twice");
    // The same message again: nothing changes.
    replay(&replayer, request).await.unwrap();
    assert_eq!(counts(&tables).await, expected);
    // The records that are not votes were set aside by the fixed consumer.
    let invalid = expected_votes(&replayed, MAX_VOTE_BYTES).invalid.len();
    assert_eq!(scan_all(&dynamodb(), &tables.dead_letters).await.len(), invalid);
    kinesis.delete_stream().stream_name(&stream).send().await.unwrap();
}
