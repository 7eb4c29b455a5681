//! The stream plumbing the mapping, the fixture recorder and the tests share:
//! listing shards, creating a stream, and reading a shard until caught up.
//!
//! This is what days 01 and 03 teach, written once for the tools that need it
//! (which is why it lives here, with the mapping the book introduces after
//! those days, and not in `crates/pitlane`, which students read from day 01).

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::operation::get_records::GetRecordsOutput;
use aws_sdk_kinesis::types::{Record, Shard, ShardIteratorType};
use pitlane::aws::KinesisError;

/// Every shard of `stream` (id, hash key range, sequence number range), in
/// the order Kinesis lists them.
///
/// `ListShards` is paginated: the first call names the stream, the following
/// ones pass *only* the `NextToken` (Kinesis rejects a request that has both).
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
/// and tests that need a stream.
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

/// Whether a `GetRecords` page shows its shard caught up: nothing new *and*
/// at the tip. An empty page alone is not enough (a shard can answer empty
/// pages while records wait further on), and neither is 0 ms behind (records
/// written in the same millisecond are "0 ms" apart).
pub fn is_caught_up(page: &GetRecordsOutput) -> bool {
    page.records().is_empty() && page.millis_behind_latest() == Some(0)
}

/// Every record of `shard`, read from `TRIM_HORIZON` page by page (at most
/// `limit` records a page) until the shard is caught up: the pages, empty
/// ones left out, as a mapping with that batch size would see them.
pub async fn read_pages_from_start(
    client: &Client,
    stream: &str,
    shard: &str,
    limit: Option<i32>,
) -> Result<Vec<Vec<Record>>, KinesisError> {
    let mut pages = Vec::new();
    let mut iterator = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await?
        .shard_iterator()
        .map(str::to_owned);
    let mut throttled = 0;
    while let Some(current) = iterator {
        let page = match client.get_records().shard_iterator(&current).set_limit(limit).send().await
        {
            Ok(page) => page,
            // A shard serves 5 reads a second to all its readers: wait for
            // room, and read the same page again.
            Err(error) => {
                let error = KinesisError::from(error);
                let busy = matches!(
                    error.inner(),
                    aws_sdk_kinesis::Error::ProvisionedThroughputExceededException(_)
                );
                if !busy || throttled >= 20 {
                    return Err(error);
                }
                throttled += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                iterator = Some(current);
                continue;
            }
        };
        throttled = 0;
        if is_caught_up(&page) {
            break;
        }
        if !page.records().is_empty() {
            pages.push(page.records().to_vec());
        }
        // A closed shard that has been read to its end has no next iterator.
        iterator = page.next_shard_iterator().map(str::to_owned);
    }
    Ok(pages)
}
