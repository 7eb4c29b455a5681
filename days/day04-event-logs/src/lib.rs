//! # Day 04 — ingest events into an `EventLogs` table
//!
//! The first consumer, written as a real Lambda function: the event-source
//! mapping hands it a batch of Kinesis records, and it stores each one as an
//! item of a DynamoDB table, `EventLogs`, keyed by `eventId`.
//!
//! Two things make the difference between a demo and a pipeline:
//!
//! - **Idempotency.** Kinesis delivers *at least once*: when an invocation
//!   fails (a timeout, a throttled write, a crash), the whole batch comes
//!   again. The classic version of this exercise gives each item a random
//!   UUID, so every retry stores the batch again. Here `eventId` is derived
//!   from the record itself (a UUID v5 of its Kinesis `eventID`): a retry
//!   writes the same items over themselves and nothing is stored twice.
//! - **Batching with honest retries.** `BatchWriteItem` takes 25 items per
//!   call and may leave some of them *unprocessed* (throttling), returning
//!   them in `UnprocessedItems`. They are sent again, with backoff; if some
//!   are still left, the invocation fails, and the batch comes again.
//!
//! A record whose data is not JSON, or is JSON that DynamoDB would refuse
//! (over 400 KB, nested too deep, a number of 40 digits), is stored too: its
//! raw bytes, its size, its hash and the reason. It never blocks the shard,
//! and it never vanishes or changes silently.
//!
//! Work through the `TODO`s from top to bottom, then run `just check 04`.
//! The chapter "Day 04" of the book explains each step; `just hint 04` gives
//! a hint, one level at a time.

pub mod json;
pub mod lambda;
pub mod limits;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use pitlane::aws::DynamoDbError;
use pitlane::lambda::{KinesisEvent, KinesisEventRecord};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use json::{Json, JsonError};
pub use limits::{MAX_DEPTH, MAX_ITEM_BYTES, MAX_NAME_BYTES, NumberError};

/// The `RetryPolicy` of day 02 (your own, in the starter): its backoff with
/// jitter paces the retries of unprocessed items.
pub use day02_put_records::RetryPolicy;

/// The environment variable that names the table (set by the deployment).
pub const TABLE_ENV: &str = "EVENT_LOGS_TABLE";
/// `BatchWriteItem` takes at most 25 items per call.
pub const MAX_ITEMS_PER_CALL: usize = 25;
/// The namespace of the UUID v5 event ids: any fixed UUID works, as long as
/// it never changes (it is part of every id).
pub const EVENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x5c1f_70a8_2b7e_4e0e_9c35_6b1e_0d2f_a901);

/// The attribute that holds a record's data as a map.
pub const PAYLOAD: &str = "payload";
/// The attribute that holds a record's data as bytes, when it cannot be a map.
pub const RAW_PAYLOAD: &str = "rawPayload";

/// Why a record's data is kept raw rather than as a `payload` map. Its text
/// is stored as the item's `payloadError`, so it never quotes the data
/// itself: that could be of any size.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error(transparent)]
    NotJson(#[from] JsonError),
    #[error("nested more than {MAX_DEPTH} levels deep, DynamoDB's limit")]
    TooDeep,
    #[error("a field with an empty name, which DynamoDB does not take")]
    EmptyName,
    #[error("a field name of {0} bytes, over DynamoDB's {MAX_NAME_BYTES}")]
    NameTooLong(usize),
    #[error(transparent)]
    Number(#[from] NumberError),
    #[error("the item would be {0} bytes, over DynamoDB's {MAX_ITEM_BYTES}")]
    TooLarge(usize),
}

/// What [`handle`] and [`write_items`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WriteReport {
    /// Items stored.
    pub items: usize,
    /// `BatchWriteItem` calls, retries included.
    pub calls: usize,
    /// Items sent again because DynamoDB left them unprocessed.
    pub retried: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    #[error(
        "{count} item(s) still unprocessed after {attempts} attempts; the batch must be retried"
    )]
    Unprocessed { count: usize, attempts: u32 },
    #[error(transparent)]
    DynamoDb(#[from] DynamoDbError),
}

// ANCHOR: event_id
/// The item's id: a UUID v5 of the record's Kinesis `eventID`
/// (`shardId-…:<sequence number>`), which is the same at every delivery of
/// the record and different for every record. (Lambda always sets it; the
/// type has it optional because other event shapes share it.)
pub fn event_id(record: &KinesisEventRecord) -> String {
    // TODO 1: derive the id from the record, never at random, so that a batch
    //   delivered again writes the same items over themselves: a UUID v5, in
    //   `EVENT_ID_NAMESPACE`, of the record's Kinesis event id, as text.
    //   Chapter: «Day 04 › The bug in the classic version».
    //   Docs: https://docs.rs/uuid/latest/uuid/struct.Uuid.html
    todo!("day 04: a deterministic event id")
}
// ANCHOR_END: event_id

// ANCHOR: to_attribute
/// A JSON value as a DynamoDB attribute: objects become maps (`M`), arrays
/// lists (`L`), numbers `N` with their exact text, and so on. Stored as a
/// map, a payload can be queried and projected field by field, which a JSON
/// string cannot.
///
/// `depth` is the value's level in the item: the payload attribute itself is
/// level 1, its fields level 2. A value DynamoDB would refuse (too deep, a
/// field name it does not take, a number it cannot hold) is an error that
/// says which rule it breaks.
pub fn to_attribute(json: &Json, depth: usize) -> Result<AttributeValue, PayloadError> {
    // TODO 2: map every kind of JSON value to its DynamoDB attribute type, all
    //   the way down, numbers kept as their exact text. Valid JSON can still
    //   break DynamoDB's rules for an item: refuse, with the `PayloadError`
    //   that names the rule, a value nested beyond `MAX_DEPTH`, a field name
    //   that is empty or longer than `MAX_NAME_BYTES`, and a number
    //   `limits::check_number` refuses. One such value anywhere would make
    //   DynamoDB refuse the whole call, so it must be found here.
    //   Chapter: «Day 04 › An item worth querying» and «Day 04 › What DynamoDB
    //   refuses». Docs: https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/types/enum.AttributeValue.html
    todo!("day 04: JSON to a DynamoDB attribute")
}

// ANCHOR_END: to_attribute

// ANCHOR: to_item
/// One record as one `EventLogs` item. Its attributes are strings (`S`),
/// but for the payload:
///
/// - `eventId`: the record's [`event_id`]; `kinesisEventId`: its Kinesis
///   `eventID` as it is; `shardId`: the part of that before the `:`;
/// - `sequenceNumber` and `partitionKey`, from the record;
/// - `arrivedAt`: when Kinesis received it, in RFC 3339 to the millisecond,
///   in UTC (`2026-07-05T14:00:00.100Z`);
/// - `payload`: the data as an attribute ([`to_attribute`]: a map for a
///   JSON object, a list, a number...) when it is JSON DynamoDB takes and the
///   item then keeps within `MAX_ITEM_BYTES` ([`limits::item_bytes`]);
///   otherwise the data kept raw ([`keep_raw`]), with the reason.
pub fn to_item(record: &KinesisEventRecord) -> HashMap<String, AttributeValue> {
    // TODO 3: build the item the doc comment above describes. Never drop a
    //   record and never let one fail the write: data that is not JSON, or
    //   JSON DynamoDB would refuse (TODO 2), or a payload that would make the
    //   item too large, is kept raw with the reason instead.
    //   Chapter: «Day 04 › An item worth querying» and «Day 04 › What DynamoDB
    //   refuses».
    todo!("day 04: a record as an item")
}
// ANCHOR_END: to_item

// ANCHOR: keep_raw
/// Adds to `item` the data of a record that cannot be its `payload`, in a form
/// DynamoDB always accepts:
///
/// - `rawPayload`: the bytes as they came, binary (`B`), so that nothing is
///   changed, cut short if need be so that the item stays within
///   `MAX_ITEM_BYTES`;
/// - `payloadBytes`: the data's whole size, a number; more than the
///   `rawPayload`'s when it was cut;
/// - `payloadSha256`: the SHA-256 of the whole data, in lowercase hex, which
///   identifies it even when cut (against the stream, or an archive);
/// - `payloadError`: `reason`, as text.
pub fn keep_raw(item: &mut HashMap<String, AttributeValue>, data: &[u8], reason: &PayloadError) {
    // TODO 4: add the four attributes above. The raw bytes get the room the
    //   item has left: everything in an item counts towards DynamoDB's 400 KB.
    //   Chapter: «Day 04 › What DynamoDB refuses». Docs:
    //   https://docs.rs/sha2/latest/sha2/ (its 0.11 digest is bytes, which do
    //   not format as hex by themselves).
    todo!("day 04: keep the data raw, with the reason")
}
// ANCHOR_END: keep_raw

// ANCHOR: write_items
/// Stores `items` with `BatchWriteItem`, [`MAX_ITEMS_PER_CALL`] at a time,
/// sending unprocessed items again with backoff. Fails if some are still
/// unprocessed after `policy.max_attempts` calls for one chunk.
pub async fn write_items(
    client: &Client,
    table: &str,
    items: Vec<HashMap<String, AttributeValue>>,
    policy: &RetryPolicy,
) -> Result<WriteReport, EventLogError> {
    // TODO 5: store the items with BatchWriteItem, `MAX_ITEMS_PER_CALL` at a
    //   time. A call can succeed and still leave items unprocessed: send those
    //   (only those) again after a backoff, in at most `policy.max_attempts`
    //   calls per chunk; any still left then are an `EventLogError::Unprocessed`.
    //   Chapter: «Day 04 › Batches of 25, and the items DynamoDB leaves behind».
    //   Docs: https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/operation/batch_write_item/builders/struct.BatchWriteItemFluentBuilder.html
    todo!("day 04: batch writes with retries")
}
// ANCHOR_END: write_items

/// The Lambda handler: every record of the batch into the table.
pub async fn handle(
    client: &Client,
    table: &str,
    event: KinesisEvent,
) -> Result<WriteReport, EventLogError> {
    // TODO 6: store every record of the batch, with the system's default retry
    //   policy, and report what was written. Let a failure reach the caller: it
    //   makes the event-source mapping deliver the batch again, which TODO 1
    //   makes harmless.
    todo!("day 04: the handler")
}

/// Creates the `EventLogs` table: partition key `eventId` (a string),
/// on-demand capacity (no throughput to plan; pay per request).
pub async fn create_table(
    client: &Client,
    table: &str,
) -> Result<(), pitlane::dynamodb::TableError> {
    pitlane::dynamodb::create_table(client, table, "eventId").await
}
