//! What a batch given up leaves behind: its metadata, in the shape AWS sends
//! to an on-failure destination, and nothing else: a tool written against
//! these records (a replay) works on AWS's messages too. Why the batch
//! failed goes to the log, as on AWS (the function's own logs say it).

use std::io::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::OnFailure;
use crate::mapping::EsmError;

/// The `condition` of an on-failure record when `MaximumRetryAttempts` ran out.
pub const RETRY_ATTEMPTS_EXHAUSTED: &str = "RetryAttemptsExhausted";
/// The `condition` of an on-failure record for records older than
/// `MaximumRecordAgeInSeconds`.
pub const RECORD_AGE_EXCEEDED: &str = "RecordAgeExceeded";

/// The metadata of a batch given up, in the shape AWS sends to an on-failure
/// destination (SQS or SNS) for a Kinesis event source. The records
/// themselves are not included (as on AWS): they are still in the stream,
/// and `startSequenceNumber`/`endSequenceNumber` say where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRecord {
    #[serde(rename = "requestContext")]
    pub request_context: RequestContext,
    #[serde(rename = "responseContext")]
    pub response_context: ResponseContext,
    pub version: String,
    pub timestamp: DateTime<Utc>,
    #[serde(rename = "KinesisBatchInfo")]
    pub kinesis_batch_info: KinesisBatchInfo,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    pub request_id: String,
    pub function_arn: String,
    /// `RetryAttemptsExhausted`.
    pub condition: String,
    pub approximate_invoke_count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseContext {
    pub status_code: u16,
    pub executed_version: String,
    pub function_error: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisBatchInfo {
    pub shard_id: String,
    pub start_sequence_number: String,
    pub end_sequence_number: String,
    pub approximate_arrival_of_first_record: Option<DateTime<Utc>>,
    pub approximate_arrival_of_last_record: Option<DateTime<Utc>>,
    pub batch_size: usize,
    pub stream_arn: String,
}

/// Sends `failure` to `destination`: a message on the queue, or a line
/// appended to the file.
pub(crate) async fn send(destination: &OnFailure, failure: &FailureRecord) -> Result<(), EsmError> {
    let body = serde_json::to_string(failure).expect("plain data serializes");
    match destination {
        #[cfg(feature = "sqs")]
        OnFailure::Sqs { client, queue_url } => {
            client.send_message().queue_url(queue_url).message_body(body).send().await.map_err(
                |source| EsmError::Queue {
                    queue: queue_url.clone(),
                    source: Box::new(source.into()),
                },
            )?;
        }
        OnFailure::File(path) => {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut file| file.write_all((body + "\n").as_bytes()))
                .map_err(|source| EsmError::Destination {
                    path: path.display().to_string(),
                    source,
                })?;
        }
    }
    Ok(())
}
