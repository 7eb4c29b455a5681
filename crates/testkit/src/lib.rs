//! Helpers for the days' test suites.
//!
//! Tests talk to the local AWS backend started by the `just` recipes (or by
//! `just aws-up`, which also makes the tests runnable from an editor). They
//! never reach real AWS: the clients built here always carry the local
//! endpoint and dummy credentials.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Intercept, Region};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, Record};
pub use pitlane::lambda::KinesisEvent;
use pitlane_esm::shards::{read_pages_from_start, shard_ids};

mod dynamodb;
mod faults;
pub mod logs;
mod proxy;
mod votes;
mod workspace;
pub use dynamodb::{dynamodb, dynamodb_with, item_to_json, scan_all, table_state};
pub use faults::{
    BatchWrite, BatchWriteItemFaults, CallFaults, EMPTIED_BY_FAULTS, EditInput, EditOutput,
    EmptyPagesBehind, Fault, Faults, PutRecordsFaults,
};
pub use proxy::{Call, FaultProxy, ProxyStats, Reply, random_faults};
pub use votes::{ExpectedVotes, expected_votes, valid_vote, vote_counts};
pub use workspace::{Package, workspace_packages};

/// The region of every local resource.
pub const REGION: &str = "us-east-1";

/// The checkout the tests run in (see [`pitlane_layout::workspace_root`]):
/// found from where the test runs, never from where it was compiled.
pub fn workspace_root() -> PathBuf {
    pitlane_layout::workspace_root().unwrap_or_else(|e| panic!("{e}"))
}

/// A local endpoint (`variable` is `AWS_ENDPOINT_URL_KINESIS` or
/// `AWS_ENDPOINT_URL_DYNAMODB`): the variable when the recipes set it,
/// otherwise the one `just aws-up` wrote to `.pitlane/backend.env`.
pub fn local_endpoint(variable: &str) -> String {
    if let Ok(url) = std::env::var(variable) {
        return url;
    }
    let file = workspace_root().join(".pitlane/backend.env");
    std::fs::read_to_string(&file)
        .ok()
        .and_then(|env| {
            env.lines()
                .find_map(|line| line.strip_prefix(&format!("{variable}=")).map(str::to_owned))
        })
        .unwrap_or_else(|| {
            panic!(
                "\n\nThe local AWS backend is not running, so this test has nothing to talk to.\n\
                 Run the day's tests with `just check NN` (it starts the backend), or start it once\n\
                 with `just aws-up` to run tests from your editor or with plain `cargo test`.\n"
            )
        })
}

/// A Kinesis client for the local backend.
pub fn kinesis() -> aws_sdk_kinesis::Client {
    aws_sdk_kinesis::Client::from_conf(kinesis_config().build())
}

/// A Kinesis client for the local backend whose calls pass through
/// `interceptor` (for example [`PutRecordsFaults`]).
pub fn kinesis_with(interceptor: impl Intercept + 'static) -> aws_sdk_kinesis::Client {
    aws_sdk_kinesis::Client::from_conf(kinesis_config().interceptor(interceptor).build())
}

pub(crate) fn kinesis_config() -> aws_sdk_kinesis::config::Builder {
    aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "pitlane-testkit"))
        .endpoint_url(local_endpoint("AWS_ENDPOINT_URL_KINESIS"))
}

/// A name no other test (in this process, another process, or an earlier run
/// against the same backend) uses, so that suites run in parallel.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    format!(
        "{prefix}-{}-{}-{nanos:09}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates a provisioned stream with `shards` shards, waits until it is
/// ACTIVE, and returns its ARN. For suites that need a stream but are not
/// about creating one.
pub async fn stream_with_shards(
    client: &aws_sdk_kinesis::Client,
    name: &str,
    shards: i32,
) -> String {
    pitlane_esm::shards::create_stream_and_wait(client, name, shards)
        .await
        .unwrap_or_else(|e| panic!("creating test stream {name}: {e}"))
}

/// A new stream (unique name starting with `prefix`) with `shards` shards,
/// holding `records` in their order: the start of every end-to-end test.
pub async fn stream_holding(
    records: &KinesisEvent,
    shards: i32,
    prefix: &str,
) -> (aws_sdk_kinesis::Client, String) {
    let client = kinesis();
    let stream = unique_name(prefix);
    stream_with_shards(&client, &stream, shards).await;
    replay(&client, &stream, records).await;
    (client, stream)
}

/// Every recorded batch of a scenario as one batch, in file order.
pub fn all_records(scenario: &str) -> KinesisEvent {
    pitlane::lambda::batch(fixture_batches(scenario).into_iter().flat_map(|b| b.records).collect())
}

/// Every record of every shard of `stream`, read from the start: a list of
/// (shard id, record), shard after shard, in sequence order within a shard.
///
/// The shards are read at the same time: each one serves 5 reads a second
/// of its own, so a shard whose budget was spent (by a mapping that has
/// just read it) keeps its wait from adding to the next one's.
pub async fn read_all(client: &aws_sdk_kinesis::Client, stream: &str) -> Vec<(String, Record)> {
    // A JoinSet: a caller that stops waiting (a timeout) stops the readers too.
    let mut readers = tokio::task::JoinSet::new();
    for (position, shard) in
        shard_ids(client, stream).await.expect("listing shards").into_iter().enumerate()
    {
        let (client, stream) = (client.clone(), stream.to_owned());
        readers.spawn(async move {
            let pages = read_pages_from_start(&client, &stream, &shard, None).await;
            (position, shard, pages)
        });
    }
    let mut shards = readers.join_all().await;
    shards.sort_by_key(|(position, ..)| *position);
    let mut all = Vec::new();
    for (_, shard, pages) in shards {
        let pages = pages.expect("GetRecords");
        all.extend(pages.into_iter().flatten().map(|record| (shard.clone(), record)));
    }
    all
}

/// Every recorded batch of a scenario (`fixtures/<scenario>/`), in file
/// order: shard by shard, batch by batch.
pub fn fixture_batches(scenario: &str) -> Vec<KinesisEvent> {
    let folder = workspace_root().join("fixtures").join(scenario);
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("reading {}: {e}", folder.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| fixture(&format!("{scenario}/{}", file.file_name().unwrap().to_string_lossy())))
        .collect()
}

/// A recorded batch from `fixtures/` (path relative to that folder).
pub fn fixture(path: &str) -> KinesisEvent {
    let file = workspace_root().join("fixtures").join(path);
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("reading fixture {}: {e}", file.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("parsing fixture {}: {e}", file.display()))
}

/// Puts the records of a recorded batch into `stream` again, with their
/// partition keys, **in their order**: the stream then holds the same
/// payloads, in the same order per key, as the one they were recorded from
/// (with new sequence numbers).
///
/// `PutRecords` does not promise to keep the order of the records *within*
/// one call (AWS says so, and the local backend does reorder them), so each
/// call carries at most one record per partition key; calls follow each
/// other in order.
///
/// A shard takes 1,000 records or 1 MiB a second (the local backend
/// throttles as AWS does), so the records a call had refused are sent again,
/// after a pause that doubles, before the next call: the order per key holds.
pub async fn replay(client: &aws_sdk_kinesis::Client, stream: &str, batch: &KinesisEvent) {
    let mut calls: Vec<Vec<PutRecordsRequestEntry>> = Vec::new();
    let mut keys_in_last_call = std::collections::HashSet::new();
    for record in &batch.records {
        let key = &record.kinesis.partition_key;
        let last_is_full = calls.last().is_none_or(|call| call.len() == 500);
        if last_is_full || keys_in_last_call.contains(key) {
            calls.push(Vec::new());
            keys_in_last_call.clear();
        }
        keys_in_last_call.insert(key.clone());
        let entry = PutRecordsRequestEntry::builder()
            .partition_key(key)
            .data(Blob::new(record.kinesis.data.to_vec()))
            .build()
            .expect("partition key and data are set");
        calls.last_mut().expect("a call was pushed").push(entry);
    }
    for mut entries in calls {
        let mut pause = std::time::Duration::from_millis(50);
        for attempt in 1.. {
            let output = client
                .put_records()
                .stream_name(stream)
                .set_records(Some(entries.clone()))
                .send()
                .await
                .expect("PutRecords");
            let refused: Vec<_> = entries
                .into_iter()
                .zip(output.records())
                .filter(|(_, result)| result.error_code().is_some())
                .map(|(entry, result)| {
                    assert_eq!(
                        result.error_code(),
                        Some("ProvisionedThroughputExceededException"),
                        "the local backend rejected a record: {result:?}"
                    );
                    entry
                })
                .collect();
            if refused.is_empty() {
                break;
            }
            assert!(attempt < 60, "a shard stayed throttled for a minute");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_secs(1));
            entries = refused;
        }
    }
}

/// Runs `work` beside a ticker on the same thread, which counts a tick every
/// 10 ms, and gives back `work`'s output and the ticks counted meanwhile. An
/// async wait lets the ticker run on; a wait that blocks the thread
/// (`std::thread::sleep`) stops it: about one tick per 10 ms waited tells
/// the two apart.
pub async fn with_ticker<T>(work: impl std::future::Future<Output = T>) -> (T, u32) {
    let ticks = std::sync::atomic::AtomicU32::new(0);
    let ticker = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let output = tokio::select! {
        output = work => output,
        () = ticker => unreachable!("the ticker never ends"),
    };
    (output, ticks.load(std::sync::atomic::Ordering::Relaxed))
}

/// Fails unless `ticks`, counted by [`with_ticker`] over `waited` of
/// waiting, show a wait that let the thread run: about one tick per 10 ms,
/// half of that at least (a loaded machine ticks late, never early).
#[track_caller]
pub fn assert_waited_without_blocking(ticks: u32, waited: std::time::Duration) {
    let expected = (waited.as_millis() / 10) as u32;
    assert!(
        ticks >= expected / 2,
        "{ticks} ticks in {waited:?} of waiting: the wait blocks the thread (std::thread::sleep?)"
    );
}
