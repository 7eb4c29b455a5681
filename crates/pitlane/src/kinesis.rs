//! Small Kinesis helpers that many tools need.

use aws_sdk_kinesis::Client;

use crate::aws::KinesisError;

/// The ids of every shard of `stream`, in the order Kinesis lists them.
///
/// `ListShards` is paginated: the first call names the stream, the following
/// ones pass *only* the `NextToken` (Kinesis rejects a request that has both).
/// Day 01 builds this function step by step.
pub async fn shard_ids(client: &Client, stream: &str) -> Result<Vec<String>, KinesisError> {
    let mut ids = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let request = match next_token.take() {
            Some(token) => client.list_shards().next_token(token),
            None => client.list_shards().stream_name(stream),
        };
        let page = request.send().await?;
        ids.extend(page.shards().iter().map(|shard| shard.shard_id().to_owned()));
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
            _ => return Ok(ids),
        }
    }
}
