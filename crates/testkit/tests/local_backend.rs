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
use pitlane_testkit::{dynamodb, kinesis, stream_with_shards, unique_name};

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
    let with_padding = |bytes: usize| {
        item(
            "a",
            "b",
            [
                ("n", Av::N("12345".into())),
                ("l", Av::L(vec![Av::S("ab".into())])),
                ("pad", Av::S("x".repeat(bytes))),
            ],
        )
    };

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
            .set_key(Some(item("a", "b", [])))
            .update_expression("SET z = :z")
            .expression_attribute_values(":z", Av::S(value.into()))
            .send()
    };
    put(&client, &table, with_padding(400 * KB - fixed - 3)).await.unwrap();
    update("xx").await.expect("\"z\" + \"xx\" is 3 bytes: exactly 400 KB");
    assert_eq!(
        refused(update("xxx").await),
        validation("Item size to update has exceeded the maximum allowed size")
    );
    let kept = client.get_item().table_name(&table).set_key(Some(item("a", "b", []))).send();
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
    let put = |data: usize, key: String| {
        client
            .put_record()
            .stream_name(&stream)
            .data(Blob::new(vec![b'x'; data]))
            .partition_key(key)
            .send()
    };

    put(1, "é".repeat(256)).await.expect("256 characters, 512 bytes");
    assert_eq!(
        refused(put(1, "k".repeat(257)).await),
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
    put(MIB - 1, "k".into()).await.expect("1 MiB with the key");
    let too_big = "1 validation error detected: Value at 'data' failed to satisfy constraint: \
                   Member must have length less than or equal to 1048576";
    assert_eq!(refused(put(MIB, "k".into()).await), validation(too_big));

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
