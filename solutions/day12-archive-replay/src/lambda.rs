//! The two Lambda functions: thin `main`s around plain handlers that the
//! suite calls directly.
//!
//! You do not need to change this file.
//!
//! - `archive-votes`, on the vote stream (its own event-source mapping,
//!   beside the counter's): [`archive`] writes the batch to S3. It reports
//!   no batch item failures: a batch is archived whole or not at all, and a
//!   failure retries it whole (writing the same objects again is harmless).
//! - `replay-votes`, driven by the state machine or by the on-failure
//!   queue: [`replay`] answers the request it is given (see
//!   [`ReplayRequest`]).

use chrono::{DateTime, Utc};
use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use pitlane::lambda::KinesisEvent;
use serde::{Deserialize, Serialize};

use crate::{
    ARCHIVE_BUCKET_ENV, Archive, ArchiveError, Consumer, FailedBatch, ReplayError, ReplaySummary,
    Replayer, RetryPolicy, ShardRange, Tables, archive_batch, plan, replay_failed_batch,
    replay_shard, s3_client,
};

/// What the archiver did with a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Archived {
    pub records: usize,
    pub objects: Vec<String>,
}

/// The archiver's handler.
pub async fn archive(archive: &Archive, event: KinesisEvent) -> Result<Archived, ArchiveError> {
    let objects = archive_batch(archive, &event).await?;
    tracing::info!(records = event.records.len(), objects = objects.len(), "batch archived");
    Ok(Archived { records: event.records.len(), objects })
}

/// What the replay function is asked.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ReplayRequest {
    /// The state machine's map, once per shard: replay this shard's range.
    Shard(ShardRange),
    /// Messages of the on-failure queue (an SQS event): replay each batch
    /// they name.
    FailedBatches {
        #[serde(rename = "Records")]
        records: Vec<QueueMessage>,
    },
    /// The state machine's first step: which shards have objects in the
    /// range.
    Plan { from: DateTime<Utc>, to: DateTime<Utc> },
}

/// One SQS message as Lambda delivers it (only what the replay reads).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueMessage {
    pub message_id: String,
    pub body: String,
}

/// What the replay function answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ReplayResponse {
    Replayed(ReplaySummary),
    /// With `ReportBatchItemFailures` on the queue's mapping: the messages
    /// not replayed stay on the queue; the others are deleted.
    Messages {
        #[serde(rename = "batchItemFailures")]
        batch_item_failures: Vec<ItemFailure>,
    },
    Plan {
        shards: Vec<ShardRange>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// The replay function's handler.
pub async fn replay(
    replayer: &Replayer,
    request: ReplayRequest,
) -> Result<ReplayResponse, ReplayError> {
    match request {
        ReplayRequest::Plan { from, to } => {
            let shards = plan(&replayer.archive, from, to).await?;
            tracing::info!(shards = shards.len(), %from, %to, "replay planned");
            Ok(ReplayResponse::Plan { shards })
        }
        ReplayRequest::Shard(range) => {
            let summary = replay_shard(replayer, &range).await?;
            tracing::info!(shard = %range.shard, ?summary, "shard replayed");
            Ok(ReplayResponse::Replayed(summary))
        }
        ReplayRequest::FailedBatches { records } => {
            let mut batch_item_failures = Vec::new();
            for message in records {
                let replayed = match serde_json::from_str::<FailedBatch>(&message.body) {
                    Ok(failed) => replay_failed_batch(replayer, &failed).await,
                    Err(e) => Err(ReplayError::BadRecord(format!(
                        "message {} is not an on-failure record: {e}",
                        message.message_id
                    ))),
                };
                match replayed {
                    Ok(summary) => {
                        tracing::info!(message = %message.message_id, ?summary, "failed batch replayed")
                    }
                    Err(error) => {
                        tracing::error!(message = %message.message_id, %error, "failed batch not replayed; it stays on the queue");
                        batch_item_failures
                            .push(ItemFailure { item_identifier: message.message_id });
                    }
                }
            }
            Ok(ReplayResponse::Messages { batch_item_failures })
        }
    }
}

/// The replay function as Lambda runs it: the request as JSON in, the
/// answer as JSON out, a failure named by its [`Diagnostic`] (`errorType`,
/// `errorMessage`), which is what Step Functions matches its `Retry` on. The
/// local state machine runner (`pitlane-sfn`) calls it so.
pub async fn replay_json(
    replayer: &Replayer,
    input: serde_json::Value,
) -> Result<serde_json::Value, Diagnostic> {
    let request: ReplayRequest = serde_json::from_value(input).map_err(|e| Diagnostic {
        error_type: "Runtime.UnmarshalError".to_owned(),
        error_message: format!("not a replay request: {e}"),
    })?;
    let response = replay(replayer, request).await.map_err(Diagnostic::from)?;
    Ok(serde_json::to_value(response).expect("plain data serializes"))
}

/// `errorType` is the variant's name: the state machine's `Retry` matches
/// on it (an archive that did not answer and a consumer that did not finish
/// are worth retrying; a bad record is not).
impl From<ReplayError> for Diagnostic {
    fn from(error: ReplayError) -> Self {
        let error_type = match &error {
            ReplayError::Archive(_) => "Archive",
            ReplayError::BadRecord(_) => "BadRecord",
            ReplayError::NotDone(_) => "NotDone",
            ReplayError::Incomplete { .. } => "Incomplete",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: pitlane::lambda::with_causes(&error),
        }
    }
}

impl From<ArchiveError> for Diagnostic {
    fn from(error: ArchiveError) -> Self {
        let error_type = match &error {
            ArchiveError::S3 { .. } => "S3",
            ArchiveError::Corrupt { .. } => "Corrupt",
            ArchiveError::NoShard { .. } => "NoShard",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: pitlane::lambda::with_causes(&error),
        }
    }
}

async fn archive_from_env() -> Result<Archive, Error> {
    let bucket = std::env::var(ARCHIVE_BUCKET_ENV)
        .map_err(|_| format!("set {ARCHIVE_BUCKET_ENV} to the archive bucket's name"))?;
    Ok(Archive { client: s3_client(&pitlane::aws::load_config().await), bucket })
}

#[tokio::main]
pub async fn archive_main() -> Result<(), Error> {
    pitlane::telemetry::init();
    let archive = &archive_from_env().await?;
    run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        self::archive(archive, event.payload).await.map_err(Diagnostic::from)
    }))
    .await
}

#[tokio::main]
pub async fn replay_main() -> Result<(), Error> {
    pitlane::telemetry::init();
    let archive = archive_from_env().await?;
    let tables = Tables::from_env()?;
    let client = aws_sdk_dynamodb::Client::new(&pitlane::aws::load_config().await);
    let consumer = Consumer { client, tables, retry: RetryPolicy::default() };
    let replayer = &Replayer { archive, consumer };
    run(service_fn(move |event: LambdaEvent<ReplayRequest>| async move {
        replay(replayer, event.payload).await.map_err(Diagnostic::from)
    }))
    .await
}
