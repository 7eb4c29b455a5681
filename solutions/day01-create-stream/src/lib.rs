//! # Day 01 — create a stream
//!
//! A Kinesis data stream is an ordered, replayable log split into *shards*.
//! Creating one is a single call, but a tool that does it well also:
//!
//! - chooses the capacity mode: *provisioned* (you pick the shard count and
//!   pay per shard-hour) or *on-demand* (Kinesis scales the shards for you);
//! - is idempotent: running it twice must not fail because the stream exists;
//! - waits until the stream is `ACTIVE`, because a `CREATING` stream rejects
//!   writes. The SDK's built-in waiter polls no faster than every 10 seconds;
//!   creation usually takes a second or two, so we poll ourselves;
//! - lists the shards, which is a paginated call.
//~!
//~! Work through the `TODO`s from top to bottom, then run `just check 01`.
//~! The chapter "Day 01" of the book explains each step; `just hint 01` gives
//~! a hint, one level at a time.

use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
// solution:
use aws_sdk_kinesis::types::{StreamMode, StreamModeDetails, StreamStatus};
// end solution
use pitlane::aws::KinesisError;
use serde::Serialize;

/// How often [`wait_until_active`] asks for the stream's status.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How the stream's capacity is managed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    /// A fixed number of shards: each takes 1 MiB/s or 1,000 records/s in.
    Provisioned { shards: i32 },
    /// Kinesis adds and removes shards as traffic changes.
    OnDemand,
}

/// What [`create_stream`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Creation {
    /// The stream did not exist and is now being created.
    Created,
    /// A stream of that name already existed; it was left as it is.
    AlreadyExists,
}

/// The facts about a stream that a person (or a test) wants to see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StreamInfo {
    pub name: String,
    pub arn: String,
    /// `CREATING`, `ACTIVE`, `UPDATING` or `DELETING`.
    pub status: String,
    /// `PROVISIONED` or `ON_DEMAND`.
    pub mode: String,
    pub open_shards: i32,
    pub retention_hours: i32,
}

/// One shard and the slice of the partition-key hash space it owns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShardInfo {
    pub shard_id: String,
    /// The MD5 hashes of partition keys, as decimal 128-bit numbers, that
    /// land on this shard: from `starting_hash_key` to `ending_hash_key`.
    pub starting_hash_key: String,
    pub ending_hash_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("a provisioned stream needs at least one shard, not {0}")]
    InvalidShardCount(i32),
    #[error("stream {0:?} does not exist")]
    NotFound(String),
    #[error("stream {name:?} is being deleted")]
    BeingDeleted { name: String },
    #[error("stream {name:?} is still {status} after {waited:?}")]
    NotActiveInTime { name: String, status: String, waited: Duration },
    #[error(transparent)]
    Kinesis(#[from] KinesisError),
}

// ANCHOR: create_stream
/// Creates the stream `name` with the given capacity.
///
/// Returns [`Creation::AlreadyExists`] (not an error) when a stream of that
/// name exists already, so the call can be repeated safely. The stream is
/// usually still `CREATING` when this returns: see [`wait_until_active`].
pub async fn create_stream(
    client: &Client,
    name: &str,
    capacity: Capacity,
) -> Result<Creation, StreamError> {
    //~ TODO 1: refuse a provisioned capacity of fewer than one shard *before*
    //~   calling AWS: a request that cannot succeed should not be sent, and the
    //~   caller deserves our error (see `StreamError`), not Kinesis's.
    //~   Chapter: «Day 01 › Capacity modes».
    //~ TODO 2: build the CreateStream request for `name` in the chosen mode: a
    //~   provisioned stream states its shard count, an on-demand one states its
    //~   mode and no count.
    //~   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/operation/create_stream/builders/struct.CreateStreamFluentBuilder.html
    //~ TODO 3: send it and make the call idempotent: Kinesis's answer "that name
    //~   is in use" (ResourceInUseException) is a success for us. Only an answer
    //~   *from Kinesis* can mean that; any other failure is a `StreamError::Kinesis`.
    //~   Chapter: «Day 01 › What a good "create stream" does» (point 1).
    //~   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/operation/create_stream/enum.CreateStreamError.html
    // solution: todo!("day 01: create the stream")
    let request = match capacity {
        Capacity::Provisioned { shards } if shards < 1 => {
            return Err(StreamError::InvalidShardCount(shards));
        }
        Capacity::Provisioned { shards } => client.create_stream().shard_count(shards),
        Capacity::OnDemand => client.create_stream().stream_mode_details(
            StreamModeDetails::builder()
                .stream_mode(StreamMode::OnDemand)
                .build()
                .expect("the stream mode is set"),
        ),
    };
    match request.stream_name(name).send().await {
        Ok(_) => Ok(Creation::Created),
        // Kinesis answers ResourceInUseException when the name is taken.
        Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => {
            Ok(Creation::AlreadyExists)
        }
        Err(err) => Err(KinesisError::from(err).into()),
    }
    // end solution
}
// ANCHOR_END: create_stream

/// The current facts about the stream `name`.
///
/// Uses `DescribeStreamSummary`, which (unlike `DescribeStream`) does not
/// list the shards and so answers in one call whatever the stream's size.
pub async fn describe_stream(client: &Client, name: &str) -> Result<StreamInfo, StreamError> {
    //~ TODO 4: fetch the stream's summary and report it as a `StreamInfo`, with
    //~   statuses and modes under their AWS names ("ACTIVE", "ON_DEMAND"; a
    //~   summary without mode details is a provisioned stream). A stream that does
    //~   not exist is `StreamError::NotFound`: callers act on that case.
    //~   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/client/struct.Client.html#method.describe_stream_summary
    // solution: todo!("day 01: describe the stream")
    let output = match client.describe_stream_summary().stream_name(name).send().await {
        Ok(output) => output,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => {
            return Err(StreamError::NotFound(name.to_owned()));
        }
        Err(err) => return Err(KinesisError::from(err).into()),
    };
    let summary = output
        .stream_description_summary()
        .expect("DescribeStreamSummary always returns a summary");
    Ok(StreamInfo {
        name: summary.stream_name().to_owned(),
        arn: summary.stream_arn().to_owned(),
        status: summary.stream_status().as_str().to_owned(),
        mode: summary
            .stream_mode_details()
            .map_or(StreamMode::Provisioned.as_str(), |details| details.stream_mode().as_str())
            .to_owned(),
        open_shards: summary.open_shard_count(),
        retention_hours: summary.retention_period_hours(),
    })
    // end solution
}

// ANCHOR: wait_until_active
/// Polls the stream every [`POLL_INTERVAL`] until it is `ACTIVE`, and
/// returns its description; fails once `timeout` has passed.
pub async fn wait_until_active(
    client: &Client,
    name: &str,
    timeout: Duration,
) -> Result<StreamInfo, StreamError> {
    //~ TODO 5: poll until the stream is ACTIVE (a CREATING stream rejects writes).
    //~   End at once on what waiting cannot fix (a missing stream, one being
    //~   deleted), give up with `NotActiveInTime` once `timeout` has passed, and
    //~   pause between polls without blocking the async runtime's thread.
    //~   Chapter: «Day 01 › What a good "create stream" does» (point 2).
    // solution: todo!("day 01: wait until the stream is ACTIVE")
    let started = Instant::now();
    loop {
        let info = describe_stream(client, name).await?;
        match StreamStatus::from(info.status.as_str()) {
            StreamStatus::Active => return Ok(info),
            StreamStatus::Deleting => return Err(StreamError::BeingDeleted { name: info.name }),
            _ if started.elapsed() >= timeout => {
                return Err(StreamError::NotActiveInTime {
                    name: info.name,
                    status: info.status,
                    waited: started.elapsed(),
                });
            }
            _ => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
    // end solution
}
// ANCHOR_END: wait_until_active

/// Every shard of the stream, asking for at most `page_size` shards per call.
///
/// The first `ListShards` call names the stream; each following call passes
/// only the `NextToken` of the previous page (Kinesis rejects a call that has
/// both). The last page has no `NextToken` (or an empty one, which means the
/// same: sending it back would be refused).
pub async fn list_shards_paged(
    client: &Client,
    name: &str,
    page_size: i32,
) -> Result<Vec<ShardInfo>, StreamError> {
    //~ TODO 6: collect every shard, one ListShards page (of at most `page_size`)
    //~   at a time, following the pages as the doc comment above says, until the
    //~   last page; a missing stream is `NotFound`, as in `describe_stream`.
    //~   Chapter: «Day 01 › What a good "create stream" does» (point 3).
    //~   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/operation/list_shards/builders/struct.ListShardsFluentBuilder.html
    // solution: todo!("day 01: list the shards, page after page")
    let mut shards = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let request = match next_token.take() {
            Some(token) => client.list_shards().next_token(token),
            None => client.list_shards().stream_name(name),
        };
        let page = match request.max_results(page_size).send().await {
            Ok(page) => page,
            Err(err)
                if err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Err(StreamError::NotFound(name.to_owned()));
            }
            Err(err) => return Err(KinesisError::from(err).into()),
        };
        shards.extend(page.shards().iter().map(|shard| {
            let range = shard.hash_key_range();
            ShardInfo {
                shard_id: shard.shard_id().to_owned(),
                starting_hash_key: range
                    .map(|r| r.starting_hash_key().to_owned())
                    .unwrap_or_default(),
                ending_hash_key: range.map(|r| r.ending_hash_key().to_owned()).unwrap_or_default(),
            }
        }));
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
            _ => return Ok(shards),
        }
    }
    // end solution
}

/// Every shard of the stream.
pub async fn list_shards(client: &Client, name: &str) -> Result<Vec<ShardInfo>, StreamError> {
    list_shards_paged(client, name, 1000).await
}

/// Creates the stream if needed and waits until it is `ACTIVE`: what a
/// deployment script or a producer starting up wants in one call.
pub async fn ensure_stream(
    client: &Client,
    name: &str,
    capacity: Capacity,
    timeout: Duration,
) -> Result<(Creation, StreamInfo), StreamError> {
    let creation = create_stream(client, name, capacity).await?;
    let info = wait_until_active(client, name, timeout).await?;
    Ok((creation, info))
}
