//! Small Kinesis helpers that many tools need.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::Shard;

use crate::aws::KinesisError;

/// Every shard of `stream` (id, hash key range, sequence number range), in
/// the order Kinesis lists them.
///
/// `ListShards` is paginated: the first call names the stream, the following
/// ones pass *only* the `NextToken` (Kinesis rejects a request that has both).
/// Day 01 builds this step by step.
pub async fn list_shards(client: &Client, stream: &str) -> Result<Vec<Shard>, KinesisError> {
    let mut shards = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let request = match next_token.take() {
            Some(token) => client.list_shards().next_token(token),
            None => client.list_shards().stream_name(stream),
        };
        let page = request.send().await?;
        shards.extend(page.shards().iter().cloned());
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
            _ => return Ok(shards),
        }
    }
}

/// The ids of every shard of `stream`, in the order Kinesis lists them.
pub async fn shard_ids(client: &Client, stream: &str) -> Result<Vec<String>, KinesisError> {
    let shards = list_shards(client, stream).await?;
    Ok(shards.iter().map(|shard| shard.shard_id().to_owned()).collect())
}

/// Why [`create_stream_and_wait`] failed.
#[derive(Debug, thiserror::Error)]
pub enum CreateStreamError {
    #[error(transparent)]
    Kinesis(#[from] KinesisError),
    #[error("stream {0:?} did not become ACTIVE within 60 s")]
    NotActive(String),
}

/// Creates a provisioned stream with `shards` shards, waits (polling every
/// 100 ms, at most 60 s) until it is ACTIVE, and returns its ARN. For tools
/// and tests that need a stream; day 01 builds the careful version.
pub async fn create_stream_and_wait(
    client: &Client,
    stream: &str,
    shards: i32,
) -> Result<String, CreateStreamError> {
    client
        .create_stream()
        .stream_name(stream)
        .shard_count(shards)
        .send()
        .await
        .map_err(KinesisError::from)?;
    for _ in 0..600 {
        let output = client
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .map_err(KinesisError::from)?;
        if let Some(summary) = output.stream_description_summary()
            && summary.stream_status() == &aws_sdk_kinesis::types::StreamStatus::Active
        {
            return Ok(summary.stream_arn().to_owned());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(CreateStreamError::NotActive(stream.to_owned()))
}
