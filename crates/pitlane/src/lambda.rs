//! The JSON that Lambda hands a Kinesis-triggered function.
//!
//! A Kinesis-triggered Lambda never calls `GetRecords` itself: AWS's
//! event-source mapping reads the shard and invokes the function with a batch
//! like this one (abridged):
//!
//! ```json
//! { "Records": [ {
//!     "kinesis": { "kinesisSchemaVersion": "1.0", "partitionKey": "turn-03",
//!                  "sequenceNumber": "4963...", "data": "eyJzZW5zb3JJZCI6...",
//!                  "approximateArrivalTimestamp": 1783260000.123 },
//!     "eventSource": "aws:kinesis", "eventVersion": "1.0",
//!     "eventID": "shardId-000000000000:4963...", "eventName": "aws:kinesis:record",
//!     "invokeIdentityArn": "arn:aws:iam::123456789012:role/pitlane-consumer",
//!     "awsRegion": "us-east-1",
//!     "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/pitlane" } ] }
//! ```
//!
//! The types are those of the `aws_lambda_events` crate, the ones a Lambda
//! handler deserializes, so a recorded batch is exactly what a handler sees.

use aws_lambda_events::encodings::SecondTimestamp;
pub use aws_lambda_events::event::kinesis::{
    KinesisEncryptionType, KinesisEvent, KinesisEventRecord, KinesisRecord,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where the records come from: the stream as an event-source mapping names it.
#[derive(Clone, Debug)]
pub struct EventSource {
    /// The stream's ARN, `arn:aws:kinesis:<region>:<account>:stream/<name>`.
    pub stream_arn: String,
    /// The role the function runs as; Lambda puts it in every record.
    pub invoke_identity_arn: String,
}

impl EventSource {
    /// The event source of a stream, with the function's role named
    /// `pitlane-consumer` in the stream's account.
    pub fn for_stream(stream_arn: &str) -> Self {
        let account = stream_arn.split(':').nth(4).unwrap_or("123456789012");
        Self {
            stream_arn: stream_arn.to_owned(),
            invoke_identity_arn: format!("arn:aws:iam::{account}:role/pitlane-consumer"),
        }
    }

    /// The region part of the stream's ARN.
    pub fn region(&self) -> &str {
        self.stream_arn.split(':').nth(3).unwrap_or_default()
    }

    /// One record as Lambda delivers it, from a record read with `GetRecords`
    /// on `shard_id`.
    pub fn event_record(
        &self,
        shard_id: &str,
        record: &aws_sdk_kinesis::types::Record,
    ) -> KinesisEventRecord {
        let mut kinesis = KinesisRecord::default();
        kinesis.kinesis_schema_version = Some("1.0".to_owned());
        kinesis.partition_key = record.partition_key().unwrap_or_default().to_owned();
        kinesis.sequence_number = record.sequence_number().to_owned();
        // `Base64Data` is non-exhaustive: fill the default one in place.
        kinesis.data.extend_from_slice(record.data().as_ref());
        kinesis.approximate_arrival_timestamp = SecondTimestamp(arrival_millis(record));
        // A record of a KMS-encrypted stream says so (Kinesis decrypts it for
        // the reader; the event shows how it was stored).
        if record.encryption_type() == Some(&aws_sdk_kinesis::types::EncryptionType::Kms) {
            kinesis.encryption_type = KinesisEncryptionType::Kms;
        }

        let mut event = KinesisEventRecord::default();
        event.kinesis = kinesis;
        event.event_source = Some("aws:kinesis".to_owned());
        event.event_version = Some("1.0".to_owned());
        event.event_id = Some(format!("{shard_id}:{}", record.sequence_number()));
        event.event_name = Some("aws:kinesis:record".to_owned());
        event.invoke_identity_arn = Some(self.invoke_identity_arn.clone());
        event.aws_region = Some(self.region().to_owned());
        event.event_source_arn = Some(self.stream_arn.clone());
        event
    }
}

/// A batch: what one invocation of the function receives.
pub fn batch(records: Vec<KinesisEventRecord>) -> KinesisEvent {
    let mut event = KinesisEvent::default();
    event.records = records;
    event
}

/// A batch as the JSON text Lambda sends, field for field.
///
/// `aws_lambda_events` reads this JSON, but its own serializer writes the
/// arrival timestamp as a string and always adds an `encryptionType` field;
/// Lambda writes a number, and `encryptionType: "KMS"` only for a record of
/// an encrypted stream. Fixtures and
/// invocations over HTTP use this function, so they match what AWS sends.
pub fn to_lambda_json(event: &KinesisEvent) -> String {
    let records = event.records.iter().map(WireRecord::from).collect();
    serde_json::to_string_pretty(&WireEvent { records }).expect("plain data serializes") + "\n"
}

#[derive(Serialize)]
struct WireEvent<'a> {
    #[serde(rename = "Records")]
    records: Vec<WireRecord<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRecord<'a> {
    kinesis: WireKinesis<'a>,
    event_source: &'a str,
    event_version: &'a str,
    #[serde(rename = "eventID")]
    event_id: &'a str,
    event_name: &'a str,
    invoke_identity_arn: &'a str,
    aws_region: &'a str,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireKinesis<'a> {
    kinesis_schema_version: &'a str,
    partition_key: &'a str,
    sequence_number: &'a str,
    data: String,
    /// Seconds since the epoch, with milliseconds: `1783260000.123`.
    approximate_arrival_timestamp: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_type: Option<&'static str>,
}

impl<'a> From<&'a KinesisEventRecord> for WireRecord<'a> {
    fn from(record: &'a KinesisEventRecord) -> Self {
        let text = |field: &'a Option<String>| field.as_deref().unwrap_or_default();
        let kinesis = &record.kinesis;
        WireRecord {
            kinesis: WireKinesis {
                kinesis_schema_version: text(&kinesis.kinesis_schema_version),
                partition_key: &kinesis.partition_key,
                sequence_number: &kinesis.sequence_number,
                data: BASE64.encode(&*kinesis.data),
                approximate_arrival_timestamp: kinesis
                    .approximate_arrival_timestamp
                    .timestamp_millis() as f64
                    / 1000.0,
                encryption_type: (kinesis.encryption_type == KinesisEncryptionType::Kms)
                    .then_some("KMS"),
            },
            event_source: text(&record.event_source),
            event_version: text(&record.event_version),
            event_id: text(&record.event_id),
            event_name: text(&record.event_name),
            invoke_identity_arn: text(&record.invoke_identity_arn),
            aws_region: text(&record.aws_region),
            event_source_arn: text(&record.event_source_arn),
        }
    }
}

/// The arrival time with the millisecond precision Lambda reports.
fn arrival_millis(record: &aws_sdk_kinesis::types::Record) -> DateTime<Utc> {
    record
        .approximate_arrival_timestamp()
        .and_then(|at| at.to_millis().ok())
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_default()
}

/// An error's message followed by each of its causes, `outer: inner: root`:
/// the `errorMessage` a day's `From<…Error> for Diagnostic` reports to
/// Lambda, so that the log line says why, not only what.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::primitives::{Blob, DateTime as SdkDateTime};
    use aws_sdk_kinesis::types::Record;

    fn record() -> Record {
        Record::builder()
            .sequence_number("49680576891978167851717938102591718412688970807594975234")
            .partition_key("turn-02")
            .data(Blob::new(&b"{\"seq\":1}"[..]))
            .approximate_arrival_timestamp(SdkDateTime::from_millis(1_783_260_000_123))
            .build()
            .unwrap()
    }

    #[test]
    fn records_carry_the_fields_lambda_sets() {
        let source = EventSource::for_stream("arn:aws:kinesis:eu-west-1:111122223333:stream/votes");
        let event = source.event_record("shardId-000000000001", &record());
        assert_eq!(
            event.event_id.as_deref(),
            Some("shardId-000000000001:49680576891978167851717938102591718412688970807594975234")
        );
        assert_eq!(event.aws_region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            event.invoke_identity_arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/pitlane-consumer")
        );
        assert_eq!(&*event.kinesis.data, b"{\"seq\":1}");
    }

    #[test]
    fn the_wire_json_is_lambdas_and_reads_back() {
        let source = EventSource::for_stream("arn:aws:kinesis:us-east-1:123456789012:stream/s");
        let event = batch(vec![source.event_record("shardId-000000000000", &record())]);
        let json = to_lambda_json(&event);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let kinesis = &value["Records"][0]["kinesis"];
        assert_eq!(kinesis["approximateArrivalTimestamp"], serde_json::json!(1_783_260_000.123));
        assert_eq!(kinesis["data"], "eyJzZXEiOjF9");
        assert!(kinesis.get("encryptionType").is_none());
        let back: KinesisEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn a_record_of_an_encrypted_stream_says_kms() {
        let source = EventSource::for_stream("arn:aws:kinesis:us-east-1:123456789012:stream/s");
        let encrypted = Record::builder()
            .sequence_number("49680576891978167851717938102591718412688970807594975234")
            .partition_key("turn-02")
            .data(Blob::new(&b"{\"seq\":1}"[..]))
            .approximate_arrival_timestamp(SdkDateTime::from_millis(1_783_260_000_123))
            .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
            .build()
            .unwrap();
        let event = batch(vec![source.event_record("shardId-000000000000", &encrypted)]);
        assert_eq!(event.records[0].kinesis.encryption_type, KinesisEncryptionType::Kms);
        let json = to_lambda_json(&event);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["Records"][0]["kinesis"]["encryptionType"], "KMS");
        let back: KinesisEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("the table refused the batch")]
    struct Refused(#[source] std::io::Error);

    #[test]
    fn a_message_carries_every_cause() {
        let refused = Refused(std::io::Error::other("throttled"));
        assert_eq!(with_causes(&refused), "the table refused the batch: throttled");
        assert_eq!(with_causes(&std::io::Error::other("alone")), "alone");
    }
}
