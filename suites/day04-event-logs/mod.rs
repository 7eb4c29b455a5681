//! What day 04's consumer must do. Batches are the recorded sensor batches
//! (`fixtures/sensors/`); tables live on the local DynamoDB, one per test.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::LambdaEvent;
use pitlane::lambda::KinesisEvent;
use pitlane_esm::{EsmConfig, InProcess, run_until_caught_up};
use pitlane_testkit::{
    BatchWriteItemFaults, Fault, all_records, dynamodb, dynamodb_with, fixture, item_to_json,
    scan_all, stream_holding, unique_name, with_ticker,
};

use crate::sut::limits::{check_number, item_bytes, value_bytes};
use crate::sut::{
    EventLogError, Json, JsonError, MAX_DEPTH, MAX_ITEM_BYTES, MAX_NAME_BYTES, NumberError,
    PayloadError, RetryPolicy, WriteReport, create_table, event_id, handle, json, keep_raw,
    to_attribute, to_item, write_items,
};

/// 100 sensor readings as Lambda delivered them; record 64 is not JSON.
const BATCH: &str = "sensors/shardId-000000000001-batch-01.json";
const CUT_SHORT: usize = 64;

async fn new_table(client: &aws_sdk_dynamodb::Client, prefix: &str) -> String {
    let table = unique_name(prefix);
    create_table(client, &table).await.unwrap();
    table
}

type Item = std::collections::HashMap<String, AttributeValue>;

fn text(item: &Item, name: &str) -> String {
    item[name].as_s().unwrap_or_else(|_| panic!("{name} is not a string")).clone()
}

/// The payload attribute of `document`, or the rule it breaks.
fn attribute_of(document: &str) -> Result<AttributeValue, PayloadError> {
    to_attribute(&json::parse(document.as_bytes()).expect("valid JSON"), 1)
}

/// `inner` wrapped in `levels` objects: `{"a":{"a":inner}}` for 2.
fn nested(levels: usize, inner: &str) -> String {
    format!("{}{inner}{}", r#"{"a":"#.repeat(levels), "}".repeat(levels))
}

/// A record of the fixture batch carrying `data` instead of its own.
fn record_with(index: usize, data: &[u8]) -> pitlane::lambda::KinesisEventRecord {
    let mut record = fixture(BATCH).records[index].clone();
    record.kinesis.data.clear();
    record.kinesis.data.extend_from_slice(data);
    record
}

/// The SHA-256 of `data` in lowercase hex, as `sha256sum` prints it.
fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|byte| format!("{byte:02x}")).collect()
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
    // A sequence number is unique within its shard only: the same one on
    // another shard is another record.
    let mut elsewhere = batch.records[0].clone();
    let sequence_number = &elsewhere.kinesis.sequence_number;
    elsewhere.event_id = Some(format!("shardId-000000000007:{sequence_number}"));
    assert_ne!(event_id(&elsewhere), ids[0], "the same sequence number on two shards");
}

#[test]
fn a_json_payload_becomes_a_dynamodb_map() {
    let document = r#"{"sensorId": "turn-01", "value": 21.5, "seq": 12345678901234567890,
                       "ok": true, "note": null, "tags": ["a", 2], "empty": {}}"#;

    let attribute = attribute_of(document).unwrap();

    let map = attribute.as_m().expect("an object becomes a map (M), not a JSON string");
    assert_eq!(map["sensorId"], AttributeValue::S("turn-01".into()));
    assert_eq!(map["value"], AttributeValue::N("21.5".into()));
    assert_eq!(map["seq"], AttributeValue::N("12345678901234567890".into()));
    assert_eq!(map["ok"], AttributeValue::Bool(true));
    assert_eq!(map["note"], AttributeValue::Null(true));
    assert_eq!(
        map["tags"],
        AttributeValue::L(vec![AttributeValue::S("a".into()), AttributeValue::N("2".into())])
    );
    assert_eq!(map["empty"], AttributeValue::M(Default::default()));
    assert_eq!(map.len(), 7);
}

/// A float has 15 to 17 significant digits; DynamoDB keeps 38. Every one of
/// these would come out changed from an `f64` (or a `serde_json::Value`).
#[test]
fn numbers_keep_the_text_they_were_written_with() {
    let exact = [
        "12345678901234567890123456789012345678", // 38 digits, DynamoDB's most
        "-0.00000000000000000000000000000000000012",
        "26.30",
        "1E+2",
        "9.9e125",
        "1e-130",
        "-0",
    ];
    for number in exact {
        let attribute = attribute_of(&format!(r#"{{"n": {number}}}"#)).unwrap();
        assert_eq!(attribute.as_m().unwrap()["n"], AttributeValue::N(number.into()), "{number}");
    }
    // What `json.rs` reads them into: each number as written, fields in order.
    assert_eq!(
        json::parse(br#" {"a": [1.50, "x\u00e9"], "b": {"a": null}} "#).unwrap(),
        Json::Object(vec![
            ("a".into(), Json::Array(vec![Json::Number("1.50".into()), Json::String("xé".into())])),
            ("b".into(), Json::Object(vec![("a".into(), Json::Null)])),
        ])
    );
}

#[test]
fn json_that_dynamodb_would_refuse_is_an_error_that_names_the_rule() {
    let deepest = nested(MAX_DEPTH - 1, "1"); // the payload is level 1, the 1 level 32
    assert!(attribute_of(&deepest).is_ok(), "{MAX_DEPTH} levels are allowed");
    assert!(
        attribute_of(&format!("[{deepest}]")).is_err_and(|e| matches!(e, PayloadError::TooDeep)),
        "{} levels are one too many: PayloadError::TooDeep",
        MAX_DEPTH + 1
    );
    assert!(
        attribute_of(&nested(MAX_DEPTH, "{}")).is_err_and(|e| matches!(e, PayloadError::TooDeep)),
        "an empty map is a level too"
    );

    let refused = |document: &str| attribute_of(document).unwrap_err();
    assert!(matches!(refused(r#"{"a": {"": 1}}"#), PayloadError::EmptyName));
    let longest = "n".repeat(MAX_NAME_BYTES);
    assert!(attribute_of(&format!(r#"{{"{longest}": 1}}"#)).is_ok());
    // A name's limit is in bytes of UTF-8, not characters: 65,535
    // characters, one of them two bytes long, are 65,536 bytes.
    let one_short = "n".repeat(MAX_NAME_BYTES - 1);
    assert!(
        matches!(refused(&format!(r#"{{"{one_short}é": 1}}"#)), PayloadError::NameTooLong(65_536)),
        "a name of {MAX_NAME_BYTES} characters but 65,536 bytes is too long: count bytes"
    );
    assert!(
        attribute_of(r#"{" ": 1}"#).is_ok(),
        "a name of one space is one byte: DynamoDB takes it"
    );
    assert!(matches!(
        refused(&format!(r#"{{"{longest}é": 1}}"#)),
        PayloadError::NameTooLong(65_537)
    ));
    assert!(matches!(
        refused(r#"[1, 123456789012345678901234567890123456789]"#),
        PayloadError::Number(NumberError::TooPrecise(39))
    ));
    assert!(matches!(refused("[1e126]"), PayloadError::Number(NumberError::OutOfRange)));
    assert!(matches!(refused(r#"{"n": -9e-131}"#), PayloadError::Number(NumberError::OutOfRange)));
}

/// DynamoDB's number rules, at each edge: 38 significant digits (zeros
/// before the first and after the last do not count), a magnitude from
/// 1E-130 to below 1E126, a zero judged by the exponent it is written with.
#[test]
fn a_number_is_a_payload_within_38_digits_and_dynamodbs_range() {
    let number = |text: &str| attribute_of(&format!("[{text}]")).map(|_| ());
    for fits in [
        "0",
        "-0.0",
        "1.0000000000000000000000000000000000000000000",
        "0.000123",
        "12345678901234567890123456789012345678000",
        "9.9999e125",
        "-1E-130",
        "0e125",
        "0.0e-129",
        "1E+125",
    ] {
        assert!(number(fits).is_ok(), "{fits} fits DynamoDB");
    }
    for (text, digits) in [
        ("1234567890123456789012345678901234567.89", 39),
        ("-0.001234567890123456789012345678901234567891", 40),
    ] {
        let error = number(text).unwrap_err();
        assert!(
            matches!(error, PayloadError::Number(NumberError::TooPrecise(n)) if n == digits),
            "{text}: {error:?}"
        );
        assert_eq!(check_number(text), Err(NumberError::TooPrecise(digits)));
    }
    // Exponents at and past the ends of a 64-bit integer are valid JSON too.
    for out in [
        "1e126",
        "10E125",
        "-1e-131",
        "0.1e-130",
        "0E126",
        "0e-131",
        "1e99999999999999999999",
        "1e-99999999999999999999",
        "12e9223372036854775807",
        "-12e9223372036854775807",
        "0.1e-9223372036854775808",
        "0.0e-9223372036854775808",
        "0e9223372036854775807",
    ] {
        let error = number(out).unwrap_err();
        assert!(matches!(error, PayloadError::Number(NumberError::OutOfRange)), "{out}: {error:?}");
    }
}

#[test]
fn a_record_becomes_an_item_with_its_payload_and_where_it_came_from() {
    let record = &fixture(BATCH).records[0];

    let item = to_item(record);

    assert_eq!(text(&item, "eventId"), event_id(record));
    assert_eq!(text(&item, "kinesisEventId"), record.event_id.clone().unwrap());
    assert_eq!(text(&item, "sequenceNumber"), record.kinesis.sequence_number);
    let arrived_at = text(&item, "arrivedAt");
    let arrived = chrono::DateTime::parse_from_rfc3339(&arrived_at).expect("RFC 3339");
    assert_eq!(arrived, record.kinesis.approximate_arrival_timestamp.0);
    assert!(
        arrived_at.len() == "2026-07-05T14:00:00.100Z".len() && arrived_at.ends_with('Z'),
        "{arrived_at}: UTC with a Z, to the millisecond"
    );
    insta::assert_json_snapshot!(item_to_json(&item), {
        ".eventId.S" => "[uuid v5 of kinesisEventId]",
        ".kinesisEventId.S" => "[shardId-000000000001:sequence number]",
        ".sequenceNumber.S" => "[sequence number]",
    });
}

#[test]
fn a_record_that_is_not_json_is_kept_raw_with_its_size_hash_and_reason() {
    let record = &fixture(BATCH).records[CUT_SHORT];
    let data = &record.kinesis.data[..];

    let item = to_item(record);

    assert!(!item.contains_key("payload"));
    assert_eq!(item["rawPayload"].as_b().expect("raw bytes are binary (B)").as_ref(), data);
    assert_eq!(item["payloadBytes"], AttributeValue::N(data.len().to_string()));
    assert_eq!(text(&item, "payloadSha256"), sha256_hex(data));
    assert!(text(&item, "payloadError").contains("EOF"), "{}", text(&item, "payloadError"));
    assert_eq!(item.len(), 10, "the 6 attributes of every item and the 4 of raw data");

    // Other data that is no JSON document here, each with its reason: a name
    // given twice (which one would count?), bytes that are not UTF-8, an
    // escape that is no character.
    for (data, reason) in [
        (&br#"{"vote": "NOR", "vote": "VER"}"#[..], "names the same field twice"),
        (&b"{\"vote\": \"N\xffR\"}"[..], "not UTF-8"),
        (&br#"{"vote": "\ud800"}"#[..], "not JSON"),
    ] {
        let item = to_item(&record_with(0, data));
        assert!(!item.contains_key("payload"), "{}", String::from_utf8_lossy(data));
        assert!(text(&item, "payloadError").contains(reason), "{}", text(&item, "payloadError"));
        assert_eq!(item["rawPayload"].as_b().unwrap().as_ref(), data);
    }
    assert!(matches!(
        json::parse(br#"{"vote": "NOR", "vote": "VER"}"#),
        Err(JsonError::DuplicateName { name_bytes: 4 })
    ));
}

#[test]
fn a_record_too_large_for_an_item_keeps_as_much_raw_data_as_fits() {
    let data: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect(); // 1 MiB, Kinesis's most
    let mut item = to_item(&record_with(0, br#"{"seq": 1}"#));
    item.remove("payload");

    keep_raw(&mut item, &data, &PayloadError::TooLarge(data.len()));

    assert_eq!(item_bytes(&item), MAX_ITEM_BYTES, "all the room left, and no more");
    let kept = item["rawPayload"].as_b().unwrap().as_ref();
    assert!(kept.len() > 400_000 && data.starts_with(kept), "{} bytes kept", kept.len());
    assert_eq!(item["payloadBytes"], AttributeValue::N("1048576".into()));
    assert_eq!(text(&item, "payloadSha256"), sha256_hex(&data), "the hash of all of it");
    assert_eq!(
        text(&item, "payloadError"),
        format!("the item would be {} bytes, over DynamoDB's 409600", data.len())
    );
}

/// The payload fits when the whole item does: one byte over, and it is kept
/// raw. A string's size is exact, so the edge is exact; then the rules of
/// the count itself.
#[test]
fn a_payload_is_a_map_while_the_item_keeps_within_400_kb() {
    let sized = |bytes: usize| {
        let empty = to_item(&record_with(0, br#"{"s": ""}"#));
        format!(r#"{{"s": "{}"}}"#, "x".repeat(bytes - item_bytes(&empty)))
    };

    let largest = to_item(&record_with(0, sized(MAX_ITEM_BYTES).as_bytes()));
    let too_large = to_item(&record_with(0, sized(MAX_ITEM_BYTES + 1).as_bytes()));

    assert!(largest.contains_key("payload"), "an item of exactly 409,600 bytes fits");
    assert_eq!(item_bytes(&largest), MAX_ITEM_BYTES);
    assert!(
        !too_large.contains_key("payload"),
        "an item of 409,601 bytes, the name \"payload\" counted, must keep its data raw"
    );
    assert_eq!(
        text(&too_large, "payloadError"),
        "the item would be 409601 bytes, over DynamoDB's 409600"
    );

    // How the size is counted (DynamoDB's developer guide, "DynamoDB item
    // sizes and formats"). A number's is only "about" known, so it is bounded
    // from above: never below the sizes measured against DynamoDB, never more
    // than 2 bytes above.
    for (number, measured) in [
        ("12", 2),
        ("123", 3),
        ("100", 2),
        ("1.5", 3),
        ("100.5", 4),
        ("0.15", 2),
        ("-42", 3),
        ("1E125", 2),
        ("0", 1),
        ("12345678901234567890123456789012345678", 20),
    ] {
        let bound = value_bytes(&AttributeValue::N(number.into()));
        assert!(
            (measured..=measured + 2).contains(&bound),
            "{number}: {bound}, measured {measured}"
        );
    }
    let item = Item::from([
        ("id".to_owned(), AttributeValue::S("é1".into())),
        ("ok".to_owned(), AttributeValue::Bool(true)),
        ("raw".to_owned(), AttributeValue::B(Blob::new(vec![0; 5]))),
        ("nil".to_owned(), AttributeValue::Null(true)),
        (
            "doc".to_owned(),
            AttributeValue::M(
                [("ab".to_owned(), AttributeValue::L(vec![AttributeValue::S("xyz".into())]))]
                    .into(),
            ),
        ),
    ]);
    // Each name and value: "id" 2 + "é1" 3; "ok" 2 + 1; "raw" 3 + 5; "nil" 3 + 1; "doc" 3 and
    // its map: 3, then 1 + "ab" 2 + the list (3, then 1 + "xyz" 3).
    assert_eq!(item_bytes(&item), 5 + 3 + 8 + 4 + (3 + 13));
    // Sets count their members: this crate writes none, but the count is DynamoDB's.
    let sets = [
        (AttributeValue::Ss(vec!["ab".into(), "é".into()]), 4),
        (AttributeValue::Ns(vec!["0".into(), "0".into()]), 2),
        (AttributeValue::Bs(vec![Blob::new(vec![1; 3]), Blob::new(vec![2; 4])]), 7),
    ];
    for (set, bytes) in sets {
        assert_eq!(value_bytes(&set), bytes, "{set:?}");
    }
}

/// Any JSON document is a payload, not only an object; and the payload is
/// level 1 of the item, so 31 objects inside it are the deepest it takes.
#[test]
fn any_json_is_a_payload_within_32_levels_counted_from_the_item() {
    let payload_of = |data: &str| {
        let item = to_item(&record_with(0, data.as_bytes()));
        item.get("payload").cloned().ok_or_else(|| text(&item, "payloadError"))
    };

    assert_eq!(payload_of("42"), Ok(AttributeValue::N("42".into())));
    assert_eq!(
        payload_of(r#"[1, "a"]"#),
        Ok(AttributeValue::L(vec![AttributeValue::N("1".into()), AttributeValue::S("a".into())]))
    );
    assert!(payload_of(&nested(MAX_DEPTH - 1, "1")).is_ok(), "32 levels, the payload included");
    let too_deep = payload_of(&nested(MAX_DEPTH, "1"));
    assert!(
        too_deep.as_ref().is_err_and(|reason| reason.contains("32 levels")),
        "33 levels, counting the payload as level 1, must be kept raw: {too_deep:?}"
    );
}

/// One batch of records each of which, as a map, DynamoDB would refuse
/// (the local backend refuses them as DynamoDB does): the batch is stored
/// whole, each such record kept raw with its reason, and the records at the
/// edge of a rule are stored as maps, unchanged.
#[tokio::test]
async fn no_record_fails_the_batch_and_none_is_changed() {
    let client = dynamodb();
    let table = new_table(&client, "day04-refused").await;
    let huge_name = "n".repeat(MAX_NAME_BYTES + 1);
    let documents: Vec<(Vec<u8>, Option<&str>)> = vec![
        (
            br#"{"seq": 123456789012345678901234567890123456789012}"#.to_vec(),
            Some("42 significant digits"),
        ),
        (br#"{"seq": 12345678901234567890123456789012345678}"#.to_vec(), None),
        (br#"{"value": 1e200}"#.to_vec(), Some("range")),
        (nested(MAX_DEPTH, "1").into_bytes(), Some("32 levels")),
        (nested(MAX_DEPTH - 1, r#""deepest""#).into_bytes(), None),
        (br#"{"tags": {"": "x"}}"#.to_vec(), Some("empty name")),
        (format!(r#"{{"{huge_name}": 1}}"#).into_bytes(), Some("65536 bytes")),
        (
            format!(r#"{{"blob": "{}"}}"#, "x".repeat(500 * 1024)).into_bytes(),
            Some("over DynamoDB's 409600"),
        ),
        (vec![0xff; 1024 * 1024], Some("UTF-8")),
        (br#"{"vote": "NOR", "vote": "VER"}"#.to_vec(), Some("twice")),
        (Vec::new(), Some("EOF")),
        (br#"{"reading": 26.30, "unit": "celsius"}"#.to_vec(), None),
    ];
    let records: Vec<_> =
        documents.iter().enumerate().map(|(i, (data, _))| record_with(i, data)).collect();

    let report = handle(&client, &table, pitlane::lambda::batch(records.clone())).await.unwrap();

    assert_eq!(report.items, documents.len());
    let stored = scan_all(&client, &table).await;
    assert_eq!(stored.len(), documents.len(), "every record is stored");
    for ((data, reason), record) in documents.iter().zip(&records) {
        let item = stored.iter().find(|item| text(item, "eventId") == event_id(record)).unwrap();
        let shown = String::from_utf8_lossy(&data[..data.len().min(60)]);
        match reason {
            None => {
                let expected = attribute_of(std::str::from_utf8(data).unwrap()).unwrap();
                assert_eq!(
                    item.get("payload").map(normalized),
                    Some(normalized(&expected)),
                    "{shown}"
                );
            }
            Some(reason) => {
                let error = text(item, "payloadError");
                assert!(error.contains(reason), "{shown}: {error:?} does not say {reason:?}");
                let kept = item["rawPayload"].as_b().unwrap().as_ref();
                assert!(
                    data.starts_with(kept) && (kept.len() == data.len() || kept.len() > 400_000)
                );
                assert_eq!(text(item, "payloadSha256"), sha256_hex(data), "{shown}");
            }
        }
    }
}

/// DynamoDB gives numbers back in its own form: `26.30` as `26.3`.
fn normalized(attribute: &AttributeValue) -> AttributeValue {
    match attribute {
        AttributeValue::N(text) => {
            let trimmed = if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.')
            } else {
                text
            };
            AttributeValue::N(trimmed.to_owned())
        }
        AttributeValue::M(fields) => AttributeValue::M(
            fields.iter().map(|(name, value)| (name.clone(), normalized(value))).collect(),
        ),
        AttributeValue::L(items) => AttributeValue::L(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
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

    // Beside the writes, on the same thread, a ticker: a wait that sleeps
    // without blocking the thread lets it tick on.
    let (report, ticks) = with_ticker(write_items(&client, &table, items, &policy)).await;
    let report = report.unwrap();

    assert_eq!(report.calls, 9, "eight times unprocessed, then stored");
    let waits = faults.waits_between_calls();
    let waited: Duration = waits.iter().sum();
    assert!(waited >= bound / 3, "eight retries waited {waited:?} in all ({waits:?}): no backoff");
    // A wait that blocks the thread lets the ticker tick only while a call is
    // on its way.
    pitlane_testkit::assert_waited_without_blocking(ticks, waited);
}

/// A backoff is a wait before a *retry*: the first call for each chunk goes
/// out at once. With a backoff of up to an hour, a write of four chunks that
/// nobody throttles takes well under a minute, or it waited for nothing.
#[tokio::test]
async fn a_first_attempt_is_never_delayed() {
    let client = dynamodb();
    let table = new_table(&client, "day04-first").await;
    let items: Vec<_> = fixture(BATCH).records.iter().map(to_item).collect();
    let hour = Duration::from_secs(3600);
    let policy = RetryPolicy { max_attempts: 3, base_delay: hour, max_delay: hour };

    let report =
        tokio::time::timeout(Duration::from_secs(60), write_items(&client, &table, items, &policy))
            .await
            .expect(
                "four chunks that nobody refused waited before their first call: \
                 a backoff comes before a retry only",
            )
            .unwrap();

    assert_eq!(report, WriteReport { items: 100, calls: 4, retried: 0 });
}

/// Exponential backoff: the bound of the wait doubles with each retry, so
/// that a table that stays busy is asked less and less often. Ten retries
/// from a 5 ms bound reach 2.56 s; with a wait that never grows, every wait
/// stays near 5 ms. The check adds up no time: it looks for one wait over
/// 50 ms, which ten doubling bounds miss with odds under one in 500,000.
#[tokio::test]
async fn the_wait_before_a_retry_grows_retry_after_retry() {
    let faults = BatchWriteItemFaults::new((0..10).map(|_| Fault::Refuse(vec![0])));
    let client = dynamodb_with(faults.clone());
    let table = new_table(&client, "day04-doubling").await;
    let items: Vec<_> = fixture(BATCH).records.iter().take(1).map(to_item).collect();
    let base = Duration::from_millis(5);
    let policy =
        RetryPolicy { max_attempts: 11, base_delay: base, max_delay: Duration::from_secs(5) };

    write_items(&client, &table, items, &policy).await.unwrap();

    let waits = faults.waits_between_calls();
    assert!(
        waits.iter().any(|wait| *wait > Duration::from_millis(50)),
        "ten retries from a {base:?} bound never waited over 50 ms ({waits:?}): the bound \
         must double with each retry (policy.backoff(retry))"
    );
}

/// After the last attempt there is nothing left to wait for: the error comes
/// at once. With a backoff of up to an hour and one attempt, a write that
/// waits after its last refusal does not end within the minute (three
/// writes: odds under one in 200,000 that it would).
#[tokio::test]
async fn a_give_up_comes_at_once_after_the_last_attempt() {
    let faults = BatchWriteItemFaults::new((0..3).map(|_| Fault::Refuse(vec![0])));
    let client = dynamodb_with(faults);
    let table = new_table(&client, "day04-last").await;
    let hour = Duration::from_secs(3600);
    let policy = RetryPolicy { max_attempts: 1, base_delay: hour, max_delay: hour };

    for _ in 0..3 {
        let items: Vec<_> = fixture(BATCH).records.iter().take(1).map(to_item).collect();
        let written = tokio::time::timeout(
            Duration::from_secs(60),
            write_items(&client, &table, items, &policy),
        )
        .await
        .expect("the last attempt was refused, and the write waited anyway: no wait after it");
        assert!(
            matches!(written, Err(EventLogError::Unprocessed { count: 1, attempts: 1 })),
            "{written:?}"
        );
    }
}

/// `max_attempts` bounds the calls for *one chunk*: a chunk whose items were
/// left unprocessed once gets its retries, however many retries the chunks
/// before it needed.
#[tokio::test]
async fn every_chunk_gets_its_own_attempts() {
    // Each of the four chunks has one item left unprocessed by its first call.
    let faults = BatchWriteItemFaults::new([
        Fault::Refuse(vec![3]),
        Fault::Pass,
        Fault::Refuse(vec![3]),
        Fault::Pass,
        Fault::Refuse(vec![3]),
        Fault::Pass,
        Fault::Refuse(vec![3]),
        Fault::Pass,
    ]);
    let client = dynamodb_with(faults.clone());
    let table = new_table(&client, "day04-per-chunk").await;
    let items: Vec<_> = fixture(BATCH).records.iter().map(to_item).collect();

    let result = write_items(&client, &table, items, &RetryPolicy::immediate(2)).await;

    assert_eq!(
        faults.call_sizes(),
        [25, 1, 25, 1, 25, 1, 25, 1],
        "two attempts for each chunk: the attempts are counted chunk by chunk, \
         not for the whole write"
    );
    assert_eq!(result.unwrap(), WriteReport { items: 100, calls: 8, retried: 4 });
    assert_eq!(scan_all(&client, &table).await.len(), 100);
}

/// The handler writes with the default policy: its waits, and its attempts.
#[tokio::test]
async fn the_handler_resends_unprocessed_items_with_the_default_backoff() {
    let faults = BatchWriteItemFaults::new((0..5).map(|_| Fault::Refuse(vec![0])));
    let client = dynamodb_with(faults.clone());
    let table = new_table(&client, "day04-default").await;
    let one = pitlane::lambda::batch(fixture(BATCH).records[..1].to_vec());

    let report = handle(&client, &table, one).await.unwrap();

    assert_eq!(report, WriteReport { items: 1, calls: 6, retried: 5 });
    let waits = faults.waits_between_calls();
    let waited: Duration = waits.iter().sum();
    // Five waits drawn up to 50, 100, 200, 400 and 800 ms add up to 20 ms
    // or more but for odds under one in 100,000 (each under 20 ms: 0.4 ×
    // 0.2 × 0.1 × 0.05 × 0.025); sending again at once takes a millisecond
    // or two in all.
    assert!(waited >= Duration::from_millis(20), "waits {waits:?}: not the default backoff");
}

/// A write that fails must fail the invocation, so that the batch comes
/// again: swallowed, the records would be lost.
#[tokio::test]
async fn a_failed_write_reaches_the_caller() {
    let client = dynamodb();

    let result = handle(&client, &unique_name("day04-no-such-table"), fixture(BATCH)).await;

    assert!(matches!(result, Err(EventLogError::DynamoDb(_))), "got {result:?}");
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
