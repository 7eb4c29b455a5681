//! The local backend refuses what AWS refuses.
//!
//! moto and kinesis-local are more lenient than DynamoDB and Kinesis in
//! places; `scripts/dynamodb_limits.py` and `scripts/kinesis_limits.py`
//! close the gaps. Each test here sends one request exactly at a documented
//! limit (accepted) and one just past it (refused with AWS's error code and
//! message, and nothing written). A test that passed only because the
//! emulator is lenient would be a bug waiting on AWS.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType, Put,
    PutRequest, ScalarAttributeType, TransactWriteItem, WriteRequest,
};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use pitlane_testkit::{dynamodb, kinesis, read_all, stream_with_shards, unique_name};

type Item = HashMap<String, Av>;

const KB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// A table keyed by `pk` (partition) and `sk` (sort), both strings.
async fn table() -> (aws_sdk_dynamodb::Client, String) {
    let client = dynamodb();
    let name = unique_name("limits");
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder().attribute_name(name).key_type(kind).build().unwrap()
    };
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .send()
        .await
        .unwrap();
    (client, name)
}

fn item(pk: &str, sk: &str, more: impl IntoIterator<Item = (&'static str, Av)>) -> Item {
    let mut item =
        HashMap::from([("pk".into(), Av::S(pk.into())), ("sk".into(), Av::S(sk.into()))]);
    item.extend(more.into_iter().map(|(name, value)| (name.to_owned(), value)));
    item
}

/// The error code and message of a refused call.
fn refused<T: std::fmt::Debug>(
    result: Result<T, impl ProvideErrorMetadata + std::fmt::Debug>,
) -> (String, String) {
    let error = result.expect_err("AWS refuses this request");
    (error.code().unwrap_or_default().to_owned(), error.message().unwrap_or_default().to_owned())
}

async fn put(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    item: Item,
) -> Result<(), (String, String)> {
    let result = client.put_item().table_name(table).set_item(Some(item)).send().await;
    if result.is_ok() { Ok(()) } else { Err(refused(result)) }
}

async fn stored(client: &aws_sdk_dynamodb::Client, table: &str, pk: &str, sk: &str) -> bool {
    let key = item(pk, sk, []);
    client.get_item().table_name(table).set_key(Some(key)).send().await.unwrap().item.is_some()
}

fn validation(message: &str) -> (String, String) {
    ("ValidationException".to_owned(), message.to_owned())
}

/// A value nested `levels` deep: a string inside `levels - 1` maps.
fn nested(levels: usize) -> Av {
    (1..levels).fold(Av::S("leaf".into()), |inner, _| Av::M(HashMap::from([("a".into(), inner)])))
}

#[tokio::test]
async fn an_item_of_400_kb_counted_as_dynamodb_counts_is_stored_and_one_byte_more_is_refused() {
    let (client, table) = table().await;
    // DynamoDB counts names and values: "pk" + "a" = 3, "sk" + "b" = 3,
    // "n" + 12345 (1 byte per two significant digits, plus 1) = 1 + 4,
    // "l" + [ "ab" ] (3 for the list, 1 per element) = 1 + 3 + 1 + 2,
    // "pad" + the padding.
    let fixed = 3 + 3 + (1 + 4) + (1 + 3 + 1 + 2) + 3;
    // Each 400 KB write costs 400 write units, and a partition takes 1,000 a
    // second: the update below works on a partition key of its own ("u"), or
    // the writes of this test would throttle each other, as on DynamoDB.
    let with_padding_at = |pk: &'static str, bytes: usize| {
        item(
            pk,
            "b",
            [
                ("n", Av::N("12345".into())),
                ("l", Av::L(vec![Av::S("ab".into())])),
                ("pad", Av::S("x".repeat(bytes))),
            ],
        )
    };
    let with_padding = |bytes: usize| with_padding_at("a", bytes);

    put(&client, &table, with_padding(400 * KB - fixed)).await.expect("exactly 400 KB is an item");
    let mut too_big = with_padding(400 * KB - fixed + 1);
    too_big.insert("sk".into(), Av::S("c".into()));
    assert_eq!(
        put(&client, &table, too_big).await,
        Err(validation("Item size has exceeded the maximum allowed size"))
    );
    assert!(!stored(&client, &table, "a", "c").await, "a refused item is not written");

    // An update that would grow the item past 400 KB is refused too, and
    // leaves the item as it was.
    let update = |value: &str| {
        client
            .update_item()
            .table_name(&table)
            .set_key(Some(item("u", "b", [])))
            .update_expression("SET z = :z")
            .expression_attribute_values(":z", Av::S(value.into()))
            .send()
    };
    put(&client, &table, with_padding_at("u", 400 * KB - fixed - 3)).await.unwrap();
    update("xx").await.expect("\"z\" + \"xx\" is 3 bytes: exactly 400 KB");
    // Those two writes took about 800 of the partition's 1,000 write units
    // of this second, and the next one is sized as 400: let the second pass,
    // or it is throttled before its size is checked (as on DynamoDB).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        refused(update("xxx").await),
        validation("Item size to update has exceeded the maximum allowed size")
    );
    let kept = client.get_item().table_name(&table).set_key(Some(item("u", "b", []))).send();
    assert_eq!(kept.await.unwrap().item.unwrap()["z"], Av::S("xx".into()));
}

#[tokio::test]
async fn a_document_nests_32_levels_deep_and_no_deeper() {
    let (client, table) = table().await;
    put(&client, &table, item("a", "32", [("doc", nested(32))])).await.expect("32 levels");
    assert_eq!(
        put(&client, &table, item("a", "33", [("doc", nested(33))])).await,
        Err(validation(
            "Nesting Levels have exceeded supported limits: \
             Attributes in the item have nested levels beyond supported limit"
        ))
    );
    assert!(!stored(&client, &table, "a", "33").await);
}

#[tokio::test]
async fn a_number_has_at_most_38_significant_digits_within_dynamodbs_range() {
    let (client, table) = table().await;
    let number = |text: &str| item("a", text, [("n", Av::N(text.into()))]);
    for accepted in [
        "9".repeat(38),
        format!("0.{}", "1".repeat(38)),
        format!("1{}", "0".repeat(41)), // 42 digits, 1 significant
        "9.9999999999999999999999999999999999999E+125".to_owned(),
        "1E-130".to_owned(),
        "-1E-130".to_owned(),
    ] {
        put(&client, &table, number(&accepted))
            .await
            .unwrap_or_else(|e| panic!("{accepted}: {e:?}"));
    }
    assert_eq!(
        put(&client, &table, number(&"1".repeat(39))).await,
        Err(validation(
            "1 validation error detected: Attempting to store more than 38 significant digits in a Number"
        ))
    );
    assert_eq!(
        put(&client, &table, number("1E+126")).await,
        Err(validation(
            "1 validation error detected: Number overflow. Attempting to store a number with magnitude larger than supported range"
        ))
    );
    assert_eq!(
        put(&client, &table, number("1E-131")).await,
        Err(validation(
            "1 validation error detected: Number underflow. Attempting to store a number with magnitude smaller than supported range"
        ))
    );
    assert!(!stored(&client, &table, "a", &"1".repeat(39)).await);

    // An update's values are numbers too.
    let update = client
        .update_item()
        .table_name(&table)
        .set_key(Some(item("a", "b", [])))
        .update_expression("SET n = :n")
        .expression_attribute_values(":n", Av::N("1".repeat(39)))
        .send()
        .await;
    assert_eq!(
        refused(update),
        validation(
            "1 validation error detected: Attempting to store more than 38 significant digits in a Number"
        )
    );
}

#[tokio::test]
async fn an_attribute_name_is_never_empty_at_any_depth() {
    let (client, table) = table().await;
    let empty_inside = Av::M(HashMap::from([("".into(), Av::S("x".into()))]));
    assert_eq!(
        put(&client, &table, item("a", "b", [("map", empty_inside)])).await,
        Err(validation("1 validation error detected: Empty attribute name"))
    );
    assert!(!stored(&client, &table, "a", "b").await);
}

/// "Attribute names must be at least one character long and less than 64 KB
/// in size" (the DynamoDB Developer Guide's naming rules).
#[tokio::test]
async fn an_attribute_name_holds_at_most_65535_bytes_at_any_depth() {
    let (client, table) = table().await;
    let named = |bytes: usize| Av::M(HashMap::from([("n".repeat(bytes), Av::Bool(true))]));

    assert_eq!(put(&client, &table, item("a", "b", [("map", named(65_535))])).await, Ok(()));
    assert_eq!(
        put(&client, &table, item("a", "c", [("map", named(65_536))])).await,
        Err(validation(
            "1 validation error detected: Attribute name is too large, must be less than 65536 bytes"
        ))
    );
    assert!(stored(&client, &table, "a", "b").await);
    assert!(!stored(&client, &table, "a", "c").await);
}

#[tokio::test]
async fn a_partition_key_holds_2048_bytes_and_a_sort_key_1024() {
    let (client, table) = table().await;
    put(&client, &table, item(&"p".repeat(2048), &"s".repeat(1024), []))
        .await
        .expect("at the limits");
    assert_eq!(
        put(&client, &table, item(&"p".repeat(2049), "s", [])).await,
        Err(validation(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
        ))
    );
    assert_eq!(
        put(&client, &table, item("p", &"s".repeat(1025), [])).await,
        Err(validation(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
        ))
    );
}

fn put_request(item: Item) -> WriteRequest {
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
        .build()
}

#[tokio::test]
async fn a_batch_write_takes_25_requests_for_25_different_items() {
    let (client, table) = table().await;
    let batch = |items: Vec<Item>| {
        client
            .batch_write_item()
            .request_items(&table, items.into_iter().map(put_request).collect())
            .send()
    };
    let items = |n: usize| (0..n).map(|i| item("a", &i.to_string(), [])).collect::<Vec<_>>();

    batch(items(25)).await.expect("25 requests");
    let (code, message) = refused(batch(items(26)).await);
    assert_eq!(code, "ValidationException");
    assert!(message.contains("Member must have length less than or equal to 25"), "{message}");
    assert!(!stored(&client, &table, "a", "25").await);

    let twice = vec![item("a", "same", []), item("a", "same", [])];
    assert_eq!(
        refused(batch(twice).await),
        validation("Provided list of item keys contains duplicates")
    );

    let (code, message) = refused(batch(vec![]).await);
    assert_eq!(code, "ValidationException", "an empty batch is refused too");
    assert!(message.contains("Member must have length greater than or equal to 1"), "{message}");
}

fn transact_put(table: &str, item: Item) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(Put::builder().table_name(table).set_item(Some(item)).build().unwrap())
        .build()
}

#[tokio::test]
async fn a_transaction_takes_100_actions_on_different_items_and_4_mb() {
    let (client, table) = table().await;
    let transact = |items: Vec<Item>| {
        client
            .transact_write_items()
            .set_transact_items(Some(items.into_iter().map(|i| transact_put(&table, i)).collect()))
            .send()
    };
    let items = |n: usize| (0..n).map(|i| item("t", &i.to_string(), [])).collect::<Vec<_>>();

    transact(items(100)).await.expect("100 actions");
    let (code, message) = refused(transact(items(101)).await);
    assert_eq!(code, "ValidationException");
    assert!(message.contains("Member must have length less than or equal to 100"), "{message}");

    let twice = vec![item("t", "same", []), item("t", "same", [])];
    assert_eq!(
        refused(transact(twice).await),
        validation("Transaction request cannot include multiple operations on one item")
    );

    // Eleven items of 390,000 bytes each: every one within 400 KB, 4.29 MB in all.
    let large = (0..11)
        .map(|i| item("big", &i.to_string(), [("pad", Av::S("x".repeat(390_000)))]))
        .collect();
    assert_eq!(
        refused(transact(large).await),
        validation("Transaction request cannot be larger than 4 MB")
    );
    assert!(!stored(&client, &table, "big", "0").await, "a refused transaction writes nothing");
}

fn entry(data: usize, key: &str) -> PutRecordsRequestEntry {
    PutRecordsRequestEntry::builder()
        .data(Blob::new(vec![b'x'; data]))
        .partition_key(key)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_record_has_a_partition_key_of_1_to_256_characters_and_at_most_1_mib_of_data() {
    let client = kinesis();
    let stream = unique_name("limits");
    stream_with_shards(&client, &stream, 1).await;
    let put = |stream: &str, data: usize, key: String| {
        client
            .put_record()
            .stream_name(stream)
            .data(Blob::new(vec![b'x'; data]))
            .partition_key(key)
            .send()
    };

    put(&stream, 1, "é".repeat(256)).await.expect("256 characters, 512 bytes");
    assert_eq!(
        refused(put(&stream, 1, "k".repeat(257)).await),
        (
            "ValidationException".to_owned(),
            format!(
                "1 validation error detected: Value '{}' at 'partitionKey' failed to satisfy \
                 constraint: Member must have length less than or equal to 256",
                "k".repeat(257)
            )
        )
    );

    // Data and partition key count together (kinesis-local counts the data alone).
    // On a stream of its own: a shard takes 1 MiB a second, and the records
    // above count against it.
    let stream = unique_name("limits-mib");
    stream_with_shards(&client, &stream, 1).await;
    put(&stream, MIB - 1, "k".into()).await.expect("1 MiB with the key");
    let too_big = "1 validation error detected: Value at 'data' failed to satisfy constraint: \
                   Member must have length less than or equal to 1048576";
    assert_eq!(refused(put(&stream, MIB, "k".into()).await), validation(too_big));

    // In a PutRecords call, one such record refuses the whole call (kinesis-local
    // would fail that entry alone).
    let call = client
        .put_records()
        .stream_name(&stream)
        .records(entry(1, "a"))
        .records(entry(MIB, "b"))
        .send()
        .await;
    assert_eq!(refused(call), validation(&too_big.replace("'data'", "'records.2.member.data'")));
}

#[tokio::test]
async fn a_put_records_call_takes_500_records_and_5_mib_with_the_partition_keys() {
    let client = kinesis();
    let stream = unique_name("limits");
    stream_with_shards(&client, &stream, 1).await;
    let put_records = |entries: Vec<PutRecordsRequestEntry>| {
        client.put_records().stream_name(&stream).set_records(Some(entries)).send()
    };

    put_records(vec![entry(1, "k"); 500]).await.expect("500 records");
    let (code, message) = refused(put_records(vec![entry(1, "k"); 501]).await);
    assert_eq!(code, "ValidationException");
    assert!(message.contains("Member must have length less than or equal to 500"), "{message}");

    // Five records of 1 MiB minus one byte, with one-byte keys: 5 MiB exactly.
    put_records(vec![entry(MIB - 1, "k"); 5]).await.expect("5 MiB");
    // One more record of one byte and a one-byte key: 2 bytes over.
    let mut over = vec![entry(MIB - 1, "k"); 5];
    over.push(entry(1, "k"));
    assert_eq!(
        refused(put_records(over).await),
        ("InvalidArgumentException".to_owned(), "Records size exceeds 5 MB limit".to_owned())
    );
}

// ── throughput ─────────────────────────────────────────────────────────────
//
// The local backend throttles as AWS does (scripts/kinesis_limits.py,
// scripts/moto_server.py): a shard takes 1,000 records or 1 MiB a second and
// serves 5 GetRecords calls a second; a DynamoDB partition key 1,000 write
// and 3,000 read units a second; a transaction in flight holds its items.
//
// None of these tests can flake on a slow machine. What happens within one
// call is decided at one instant, so those edges are tested within one call.
// An edge that takes several calls ("the 1,001st record of the second") is
// asserted only when the calls fitted in the second for certain: the server
// saw the first no earlier than the client sent it and the last no later
// than the client had its answer, so calls that took less than a second by
// the client's clock took less by the server's. A slower attempt (a loaded
// machine) proves nothing either way: the test lets the window drain and
// tries again, a few times. What must pass always passes, however slow the
// calls, and is asserted every time.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

/// Attempts at a multi-call edge before the machine is called too slow.
const ATTEMPTS: usize = 5;
/// More than the one-second window: what an attempt spent is forgotten.
const DRAIN: Duration = Duration::from_millis(1100);

/// A Kinesis client that reports a throttled call instead of retrying it.
fn kinesis_once() -> aws_sdk_kinesis::Client {
    let config = kinesis().config().to_builder().retry_config(RetryConfig::disabled()).build();
    aws_sdk_kinesis::Client::from_conf(config)
}

/// A DynamoDB client that reports a throttled call instead of retrying it.
fn dynamodb_once() -> aws_sdk_dynamodb::Client {
    let config = dynamodb().config().to_builder().retry_config(RetryConfig::disabled()).build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

fn too_slow(what: &str) -> ! {
    panic!(
        "attempt after attempt, never did {what} fit in the window: the machine is too busy to test this edge"
    )
}

const SHARD: &str = "shardId-000000000000";

fn write_refusal(stream: &str) -> String {
    format!("Rate exceeded for shard {SHARD} in stream {stream} under account 123456789012.")
}

#[tokio::test]
async fn a_shard_takes_1000_records_a_second_and_refuses_the_next_alone() {
    let client = kinesis_once();
    let stream = unique_name("throughput");
    stream_with_shards(&client, &stream, 1).await;
    let put_records = |entries: Vec<PutRecordsRequestEntry>| {
        client.put_records().stream_name(&stream).set_records(Some(entries)).send()
    };
    for _ in 0..ATTEMPTS {
        let start = Instant::now();
        for _ in 0..2 {
            let output = put_records(vec![entry(1, "k"); 500]).await.expect("500 records");
            assert_eq!(output.failed_record_count(), Some(0), "1,000 records a second are taken");
        }
        let over = put_records(vec![entry(1, "k")]).await.expect("a PutRecords call is answered");
        let single = client
            .put_record()
            .stream_name(&stream)
            .data(Blob::new(b"x".to_vec()))
            .partition_key("k");
        let single = single.send().await;
        if start.elapsed() >= Duration::from_secs(1) {
            tokio::time::sleep(DRAIN).await;
            continue;
        }
        // The 1,001st record of the second fails alone, in AWS's words…
        assert_eq!(over.failed_record_count(), Some(1));
        let entry = &over.records()[0];
        assert_eq!(entry.error_code(), Some("ProvisionedThroughputExceededException"));
        assert_eq!(entry.error_message(), Some(write_refusal(&stream).as_str()));
        assert_eq!(entry.sequence_number(), None);
        // …and a PutRecord over the limit is refused whole.
        assert_eq!(
            refused(single),
            ("ProvisionedThroughputExceededException".to_owned(), write_refusal(&stream))
        );
        return;
    }
    too_slow("1,002 records");
}

#[tokio::test]
async fn a_shard_takes_1_mib_a_second_with_the_partition_keys() {
    let client = kinesis_once();
    let stream = unique_name("throughput");
    stream_with_shards(&client, &stream, 1).await;
    // Two records of 512 KiB with their one-byte keys: 1 MiB exactly, then
    // one byte of data and its key, 2 bytes over. One call: one instant.
    let half = MIB / 2 - 1;
    let output = client
        .put_records()
        .stream_name(&stream)
        .records(entry(half, "k"))
        .records(entry(half, "k"))
        .records(entry(1, "k"))
        .send()
        .await
        .expect("a PutRecords call is answered");
    assert_eq!(output.failed_record_count(), Some(1));
    let codes: Vec<_> = output.records().iter().map(|r| r.error_code()).collect();
    assert_eq!(codes, [None, None, Some("ProvisionedThroughputExceededException")]);
    let stored = read_all(&kinesis(), &stream).await;
    assert_eq!(stored.len(), 2, "the refused record is not written");
}

#[tokio::test]
async fn a_shard_serves_5_get_records_calls_a_second_to_all_its_readers() {
    let client = kinesis_once();
    let stream = unique_name("throughput");
    stream_with_shards(&client, &stream, 1).await;
    let iterator = || async {
        let output = client
            .get_shard_iterator()
            .stream_name(&stream)
            .shard_id(SHARD)
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator");
        output.shard_iterator().expect("an iterator").to_owned()
    };
    // Two readers of one shard share its 5 calls.
    let mut readers = [iterator().await, iterator().await];
    for _ in 0..ATTEMPTS {
        let start = Instant::now();
        for call in 0..5 {
            let reader = &mut readers[call % 2];
            let page = client.get_records().shard_iterator(reader.as_str()).send().await;
            *reader = page.expect("5 calls a second").next_shard_iterator().unwrap().to_owned();
        }
        let sixth = client.get_records().shard_iterator(readers[1].as_str()).send().await;
        if start.elapsed() >= Duration::from_secs(1) {
            if let Ok(page) = sixth {
                readers[1] = page.next_shard_iterator().unwrap().to_owned();
            }
            tokio::time::sleep(DRAIN).await;
            continue;
        }
        assert_eq!(
            refused(sixth),
            (
                "ProvisionedThroughputExceededException".to_owned(),
                format!("Rate exceeded for Shard - 123456789012/{stream}/{SHARD}")
            )
        );
        return;
    }
    too_slow("6 GetRecords calls");
}

/// Puts `mebibytes` records of 1 MiB (less a byte) into the first shard of
/// `stream`, at its 1 MiB a second: each is retried until it is taken.
async fn put_mebibytes(client: &aws_sdk_kinesis::Client, stream: &str, mebibytes: usize) {
    for _ in 0..mebibytes {
        let deadline = Instant::now() + Duration::from_secs(10);
        while client
            .put_record()
            .stream_name(stream)
            .data(Blob::new(vec![b'x'; MIB - 1]))
            .partition_key("k")
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "a shard takes 1 MiB every second");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// An iterator at the start of the first shard of `stream`.
async fn trim_horizon(client: &aws_sdk_kinesis::Client, stream: &str) -> String {
    client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(SHARD)
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("GetShardIterator")
        .shard_iterator
        .expect("an iterator")
}

#[tokio::test]
async fn a_shard_that_returned_more_than_2_mib_refuses_reads_until_it_has_caught_up() {
    let client = kinesis_once();
    let stream = unique_name("throughput");
    stream_with_shards(&client, &stream, 1).await;
    put_mebibytes(&client, &stream, 4).await;
    let iterator = trim_horizon(&client, &stream).await;
    // 4 MiB at 2 MiB a second: the shard is busy for 2 s after the read.
    // Reading 4 MiB locally takes about 1 s on a busy machine, so a few
    // attempts may be needed before one fits.
    let busy = Duration::from_secs(2);
    for _ in 0..2 * ATTEMPTS {
        let start = Instant::now();
        let page =
            client.get_records().shard_iterator(&iterator).send().await.expect("a first read");
        let read = Instant::now();
        assert_eq!(page.records().len(), 4, "one call reads up to 10 MiB");
        let next = page.next_shard_iterator().unwrap();
        let again = client.get_records().shard_iterator(next).send().await;
        if start.elapsed() < busy {
            let (code, _) = refused(again);
            assert_eq!(code, "ProvisionedThroughputExceededException");
            // Once they are paid for, the shard serves reads again.
            tokio::time::sleep_until((read + busy + Duration::from_millis(100)).into()).await;
            client.get_records().shard_iterator(next).send().await.expect("caught up");
            return;
        }
        tokio::time::sleep_until((read + busy + Duration::from_millis(100)).into()).await;
    }
    too_slow("two reads");
}

/// A page within the shard's 2 MiB a second leaves the next read free:
/// AWS serves it at once. (A front that charged each page B / 2 MiB
/// seconds of busy shard refused it, and the SDK's retry then waited half a
/// second on average.)
#[tokio::test]
async fn a_page_within_2_mib_a_second_leaves_the_next_read_free() {
    let client = kinesis_once();
    let stream = unique_name("throughput");
    stream_with_shards(&client, &stream, 1).await;
    put_mebibytes(&client, &stream, 2).await;
    let first = client
        .get_records()
        .shard_iterator(trim_horizon(&client, &stream).await)
        .limit(1)
        .send()
        .await
        .expect("a first read");
    assert_eq!(first.records().len(), 1);
    let second = client
        .get_records()
        .shard_iterator(first.next_shard_iterator().unwrap())
        .limit(1)
        .send()
        .await
        .expect("1 MiB of a second's 2 MiB read: the next read is served at once");
    assert_eq!(second.records().len(), 1);
}

/// An item of exactly `bytes` as DynamoDB counts them (names and values).
fn sized(pk: &str, sk: &str, bytes: usize) -> Item {
    let fixed = "pk".len() + pk.len() + "sk".len() + sk.len() + "pad".len();
    item(pk, sk, [("pad", Av::S("x".repeat(bytes - fixed)))])
}

fn throttled_reasons(error: &aws_sdk_dynamodb::types::error::ThrottlingException) -> Vec<String> {
    error.throttling_reasons().iter().map(|r| r.reason().unwrap_or_default().to_owned()).collect()
}

const THROTTLED: &str = "Throughput exceeds the current capacity of your table or index. DynamoDB is \
     automatically scaling your table or index so please try again shortly. If exceptions persist, \
     check if you have a hot key: \
     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html";

#[tokio::test]
async fn a_partition_key_takes_1000_write_units_a_second_and_another_key_is_unaffected() {
    let (_, table) = table().await;
    let client = dynamodb_once();
    for attempt in 0..ATTEMPTS {
        let hot = format!("hot-{attempt}");
        let start = Instant::now();
        // 400 + 400 + 200 units: 1 unit per KB, rounded up.
        for (sk, kb) in [("1", 400), ("2", 400), ("3", 200)] {
            let put = client.put_item().table_name(&table).set_item(Some(sized(&hot, sk, kb * KB)));
            put.send().await.expect("1,000 write units a second");
        }
        let over = client.put_item().table_name(&table).set_item(Some(item(&hot, "4", []))).send();
        let over = over.await;
        if start.elapsed() >= Duration::from_secs(1) {
            tokio::time::sleep(DRAIN).await;
            continue;
        }
        match over.map_err(|e| e.into_service_error()) {
            Err(PutItemError::ThrottlingException(e)) => {
                assert_eq!(e.message(), Some(THROTTLED));
                assert_eq!(throttled_reasons(&e), ["TableWriteKeyRangeThroughputExceeded"]);
                let resource = e.throttling_reasons()[0].resource().unwrap_or_default();
                assert_eq!(
                    resource,
                    format!("arn:aws:dynamodb:us-east-1:123456789012:table/{table}")
                );
            }
            other => panic!("the 1,001st unit of the second is throttled: {other:?}"),
        }
        assert!(!stored(&client, &table, &hot, "4").await, "a throttled write is not written");
        let cold = client.put_item().table_name(&table).set_item(Some(item("cold", "4", [])));
        cold.send().await.expect("another partition key has its own 1,000 units");
        return;
    }
    too_slow("four writes");
}

#[tokio::test]
async fn a_partition_key_serves_3000_read_units_a_second() {
    let (_, table) = table().await;
    let client = dynamodb_once();
    for attempt in 0..ATTEMPTS {
        let hot = format!("hot-{attempt}");
        let put = client.put_item().table_name(&table).set_item(Some(sized(&hot, "a", 400 * KB)));
        put.send().await.expect("a 400 KB item");
        // A read is charged for the whole item, whatever it returns
        // (DynamoDB sizes the item, not the answer): asking for the key
        // alone keeps 12.8 MB off the wire, so that 32 calls fit in a
        // second even on a busy machine (seen in CI: they did not).
        let get = |consistent: bool| {
            client
                .get_item()
                .table_name(&table)
                .set_key(Some(item(&hot, "a", [])))
                .projection_expression("pk")
                .consistent_read(consistent)
                .send()
        };
        let start = Instant::now();
        // 100 units a strongly consistent read of 400 KB (1 per 4 KB), 50 an
        // eventually consistent one: 29 × 100 + 2 × 50 = 3,000.
        for _ in 0..29 {
            get(true).await.expect("3,000 read units a second");
        }
        for _ in 0..2 {
            get(false).await.expect("half as much eventually consistent");
        }
        let over = get(false).await;
        if start.elapsed() >= Duration::from_secs(1) {
            tokio::time::sleep(DRAIN).await;
            continue;
        }
        let error = over.expect_err("the 3,001st unit of the second is throttled");
        let error = error.into_service_error();
        let aws_sdk_dynamodb::operation::get_item::GetItemError::ThrottlingException(e) = error
        else {
            panic!("ThrottlingException: {error:?}");
        };
        assert_eq!(throttled_reasons(&e), ["TableReadKeyRangeThroughputExceeded"]);
        return;
    }
    too_slow("32 reads");
}

fn cancellation_codes(error: TransactWriteItemsError) -> Vec<String> {
    let TransactWriteItemsError::TransactionCanceledException(e) = error else {
        panic!("TransactionCanceledException: {error:?}");
    };
    e.cancellation_reasons().iter().map(|r| r.code().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn a_transaction_counts_twice_and_a_throttled_item_cancels_it() {
    let (_, table) = table().await;
    let client = dynamodb_once();
    let transact = |items: Vec<Item>| {
        client
            .transact_write_items()
            .set_transact_items(Some(items.into_iter().map(|i| transact_put(&table, i)).collect()))
            .send()
    };
    // 250 + 250 units, twice in a transaction: 1,000 exactly, in one call.
    transact(vec![sized("t1", "a", 250 * KB), sized("t1", "b", 250 * KB)])
        .await
        .expect("1,000 write units in one transaction");
    // One unit (twice) more on a fresh key: that item throttles, the
    // transaction is cancelled, and another key's item is not to blame.
    let error = transact(vec![
        sized("t2", "a", 250 * KB),
        sized("t2", "b", 250 * KB),
        item("t2", "c", []),
        item("other", "c", []),
    ])
    .await
    .expect_err("past 1,000 units the transaction is cancelled");
    assert_eq!(
        cancellation_codes(error.into_service_error()),
        ["None", "None", "ThrottlingError", "None"]
    );
    assert!(!stored(&client, &table, "t2", "a").await, "a cancelled transaction writes nothing");
    assert!(!stored(&client, &table, "other", "c").await);
}

/// Sends `POST /pitlane/release/NAME` to the local DynamoDB: the transaction
/// sent with `x-pitlane-hold: NAME` stops holding its items.
async fn release(name: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = pitlane_testkit::local_endpoint("AWS_ENDPOINT_URL_DYNAMODB");
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut connection = tokio::net::TcpStream::connect(address).await.expect("the local DynamoDB");
    let request = format!(
        "POST /pitlane/release/{name} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    connection.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    connection.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn an_item_held_by_a_transaction_in_flight_refuses_other_writes_and_transactions() {
    let (_, table) = table().await;
    let client = dynamodb_once();
    let hold = unique_name("hold");
    // Transaction A holds ("c", "1") until it is released: the test meets it
    // for certain, however slowly the machine runs.
    let first = {
        let (client, table, hold) = (client.clone(), table.clone(), hold.clone());
        tokio::spawn(async move {
            client
                .transact_write_items()
                .transact_items(transact_put(&table, item("c", "1", [("by", Av::S("A".into()))])))
                .customize()
                .mutate_request(move |request| {
                    request.headers_mut().insert("x-pitlane-hold", hold.clone());
                })
                .send()
                .await
        })
    };
    // A plain write on the item succeeds until A holds it, then is refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    let refusal = loop {
        let put = client.put_item().table_name(&table).set_item(Some(item("c", "1", []))).send();
        match put.await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(error) => break refused::<()>(Err(error)),
        }
        assert!(Instant::now() < deadline, "transaction A never held its item");
    };
    assert_eq!(
        refusal,
        (
            "TransactionConflictException".to_owned(),
            "Transaction is ongoing for the item.".to_owned()
        )
    );
    // Transaction B, on the same item and another, meets A: cancelled, with
    // TransactionConflict for that item alone.
    let second = client
        .transact_write_items()
        .transact_items(transact_put(&table, item("c", "2", [])))
        .transact_items(transact_put(&table, item("c", "1", [("by", Av::S("B".into()))])))
        .send()
        .await
        .expect_err("two transactions in flight on one item");
    assert_eq!(cancellation_codes(second.into_service_error()), ["None", "TransactionConflict"]);

    release(&hold).await;
    first.await.unwrap().expect("transaction A commits");
    let key = item("c", "1", []);
    let kept = client.get_item().table_name(&table).set_key(Some(key)).send().await.unwrap();
    assert_eq!(kept.item.unwrap()["by"], Av::S("A".into()));
    assert!(!stored(&client, &table, "c", "2").await, "B wrote nothing");
    // Released, the item takes plain writes again.
    put(&client, &table, item("c", "1", [])).await.expect("no transaction holds it");
}

// ── the emulator's own guard ───────────────────────────────────────────────

/// `scripts/moto_server.py` patches moto's DynamoDB internals; on another
/// moto release, or one without an internal it patches, it refuses to start
/// and says what to check, rather than run with a patch that misses.
#[test]
fn the_local_dynamodb_refuses_to_start_on_a_moto_it_was_not_written_for() {
    let root = pitlane_testkit::workspace_root();
    let python = root.join(".tools/venv/bin/python");
    assert!(python.exists(), "{} is missing: run `just setup` first", python.display());
    let check = |change: &str| {
        let script = format!("import moto_server as m\n{change}\nm.check_moto()\nprint('started')");
        let output = std::process::Command::new(&python)
            .args(["-c", &script])
            .current_dir(root.join("scripts"))
            .output()
            .expect("python runs");
        (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (started, said) = check("");
    assert!(started, "the pinned moto starts: {said}");
    let (started, said) = check("m.MOTO_VERSION = '0.0.1'");
    assert!(!started && said.contains("written for 0.0.1"), "{said}");
    let (started, said) = check("m.PATCHED.append((m.DynamoDBBackend, 'renamed_since'))");
    assert!(!started && said.contains("no DynamoDBBackend.renamed_since"), "{said}");
}

// ── S3 (the same moto, through scripts/s3_limits.py) ───────────────────────

/// The local S3 refuses what S3 refuses, with S3's code: a bucket name
/// against its rules, a key over 1,024 bytes of UTF-8, one PUT over 5 GiB
/// (by its declared length: no byte is sent); and takes what is within.
/// boto3 from the tools' Python speaks to it (the workspace has no S3 SDK).
#[test]
fn the_local_s3_refuses_what_s3_refuses() {
    let root = pitlane_testkit::workspace_root();
    let python = root.join(".tools/venv/bin/python");
    let script = r#"
import os, uuid, boto3, botocore, urllib3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
                  config=botocore.config.Config(s3={"addressing_style": "path"}))
def code(call):
    try:
        call()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
bucket = "pitlane-archive-" + uuid.uuid4().hex[:12]
print("bucket", code(lambda: s3.create_bucket(Bucket=bucket)))
for name in ["ab", "a" * 64, "Pitlane-archive", "pitlane..archive", "192.168.5.4", "xn--pitlane", "pitlane-s3alias", "-pitlane"]:
    print("name", name, code(lambda: s3.create_bucket(Bucket=name)))
print("key1024", code(lambda: s3.put_object(Bucket=bucket, Key="é" * 512, Body=b"x")))
print("key1025", code(lambda: s3.put_object(Bucket=bucket, Key="é" * 512 + "x", Body=b"x")))
# One PUT that declares 5 GiB and one byte: refused on its headers, before
# any of its body is sent (a raw socket sends the signed headers only).
import socket, urllib.parse
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
endpoint = urllib.parse.urlsplit(os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
url = f"{endpoint.scheme}://{endpoint.netloc}/{bucket}/big"
def put_declaring(size):
    request = AWSRequest(method="PUT", url=url, headers={
        "Content-Length": str(size), "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(boto3.Session().get_credentials(), "s3", "us-east-1").add_auth(request)
    head = f"PUT /{bucket}/big HTTP/1.1\r\nHost: {endpoint.netloc}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n"
    with socket.create_connection((endpoint.hostname, endpoint.port), timeout=10) as connection:
        connection.sendall(head.encode())
        answer = b""
        while b"</Error>" not in answer:  # the status line and the body may come apart
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
        answer = answer.decode(errors="replace")
    return answer.split("\r\n")[0], ("EntityTooLarge" in answer)
print("put5GiB+1", *put_declaring(5 * 1024 ** 3 + 1))
"#;
    let output =
        std::process::Command::new(&python).args(["-c", script]).output().expect("python runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    assert!(said.contains("bucket ok"), "{said}");
    for line in said.lines().filter(|line| line.starts_with("name ")) {
        assert!(line.ends_with(" InvalidBucketName"), "{line}");
    }
    assert!(said.contains("key1024 ok"), "{said}");
    assert!(said.contains("key1025 KeyTooLongError"), "{said}");
    assert!(said.contains("put5GiB+1 HTTP/1.1 400 Bad Request True"), "{said}");
}
