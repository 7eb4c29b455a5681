//! The mapping itself: one worker per shard, batches, checkpoints, retries.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::DateTime as SdkDateTime;
use aws_sdk_kinesis::types::{Record, ShardIteratorType};
use chrono::{DateTime, Utc};
use pitlane::aws::KinesisError;
use pitlane::lambda::{EventSource, KinesisEvent, batch};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::config::{EsmConfig, StartingPosition};
use crate::invoke::{FunctionError, Invoke, function_arn};

#[derive(Debug, thiserror::Error)]
pub enum EsmError {
    #[error("invalid event-source mapping settings: {0}")]
    Config(String),
    #[error(transparent)]
    Kinesis(#[from] KinesisError),
    #[error("writing the on-failure destination {path}: {source}")]
    Destination { path: String, source: std::io::Error },
    #[error("a shard worker stopped unexpectedly: {0}")]
    Worker(String),
}

/// What the mapping did so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EsmReport {
    /// Invocations of the function, retries included.
    pub invocations: u64,
    /// Records handed to the function, counted once per invocation.
    pub records_delivered: u64,
    /// Records the function processed successfully (checkpointed past).
    pub records_succeeded: u64,
    /// Records skipped after their retries ran out (see `failures`).
    pub records_given_up: u64,
    /// The last checkpointed sequence number of each shard.
    pub checkpoints: BTreeMap<String, String>,
    /// One record per batch given up, as sent to the on-failure destination.
    pub failures: Vec<FailureRecord>,
}

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
    /// Not in AWS's record: the last error, so that a student can see why.
    #[serde(rename = "pitlaneLastError")]
    pub last_error: String,
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

/// Runs the mapping until every shard is caught up (an empty `GetRecords`
/// answer at 0 ms behind the tip), then returns what it did. Tests and
/// one-shot tools use this; [`EventSourceMapping::start`] runs until stopped.
pub async fn run_until_caught_up(
    kinesis: &Client,
    config: &EsmConfig,
    function: Arc<dyn Invoke>,
) -> Result<EsmReport, EsmError> {
    let (_stop, stopped) = watch::channel(false);
    let mapping = Mapping::new(kinesis, config, function).await?;
    let mut workers = JoinSet::new();
    for (shard, parents) in lineage(kinesis, &config.stream).await? {
        workers.spawn(mapping.worker(shard, parents).run(Mode::UntilCaughtUp, stopped.clone()));
    }
    join_all(workers).await?;
    Ok(mapping.report())
}

/// Every shard of the stream with its parents (after a reshard, a child has
/// one parent, or two after a merge), among the shards still listed.
async fn lineage(kinesis: &Client, stream: &str) -> Result<Vec<(String, Vec<String>)>, EsmError> {
    let shards = crate::shards::list_shards(kinesis, stream).await?;
    let listed: BTreeSet<&str> = shards.iter().map(|s| s.shard_id()).collect();
    Ok(shards
        .iter()
        .map(|shard| {
            let parents = [shard.parent_shard_id(), shard.adjacent_parent_shard_id()]
                .into_iter()
                .flatten()
                .filter(|parent| listed.contains(parent))
                .map(str::to_owned)
                .collect();
            (shard.shard_id().to_owned(), parents)
        })
        .collect())
}

/// A mapping running in the background until [`EventSourceMapping::stop`].
pub struct EventSourceMapping {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), EsmError>>,
    report: Arc<Mutex<EsmReport>>,
}

impl EventSourceMapping {
    /// Starts polling every shard of the stream, and keeps looking for new
    /// shards every `shard_discovery_interval`.
    pub async fn start(
        kinesis: Client,
        config: EsmConfig,
        function: Arc<dyn Invoke>,
    ) -> Result<Self, EsmError> {
        let mapping = Mapping::new(&kinesis, &config, function).await?;
        let report = mapping.report.clone();
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut workers = JoinSet::new();
            let mut known = BTreeSet::new();
            let mut stopped_for_discovery = stopped.clone();
            loop {
                for (shard, parents) in lineage(&kinesis, &config.stream).await? {
                    if known.insert(shard.clone()) {
                        tracing::info!(%shard, ?parents, "polling a new shard");
                        let worker = mapping.worker(shard, parents);
                        workers.spawn(worker.run(Mode::Forever, stopped.clone()));
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(config.shard_discovery_interval) => {}
                    _ = stopped_for_discovery.changed() => break,
                }
            }
            join_all(workers).await
        });
        Ok(Self { stop, task, report })
    }

    /// What the mapping did so far.
    pub fn report(&self) -> EsmReport {
        self.report.lock().expect("report lock").clone()
    }

    /// Stops polling (a batch in flight is finished first) and returns the
    /// final report.
    pub async fn stop(self) -> Result<EsmReport, EsmError> {
        let _ = self.stop.send(true);
        self.task.await.map_err(|e| EsmError::Worker(e.to_string()))??;
        Ok(self.report.lock().expect("report lock").clone())
    }
}

async fn join_all(mut workers: JoinSet<Result<(), EsmError>>) -> Result<(), EsmError> {
    while let Some(joined) = workers.join_next().await {
        joined.map_err(|e| EsmError::Worker(e.to_string()))??;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    UntilCaughtUp,
    Forever,
}

/// What every shard worker shares.
#[derive(Clone)]
struct Mapping {
    kinesis: Client,
    config: Arc<EsmConfig>,
    function: Arc<dyn Invoke>,
    source: EventSource,
    report: Arc<Mutex<EsmReport>>,
    /// Shards read to their end (or whose worker is done): their children
    /// may be read.
    done: Arc<Mutex<BTreeSet<String>>>,
}

impl Mapping {
    async fn new(
        kinesis: &Client,
        config: &EsmConfig,
        function: Arc<dyn Invoke>,
    ) -> Result<Self, EsmError> {
        config.validate().map_err(EsmError::Config)?;
        let summary = kinesis
            .describe_stream_summary()
            .stream_name(&config.stream)
            .send()
            .await
            .map_err(KinesisError::from)?;
        let arn = summary
            .stream_description_summary()
            .map(|s| s.stream_arn().to_owned())
            .unwrap_or_default();
        Ok(Self {
            kinesis: kinesis.clone(),
            config: Arc::new(config.clone()),
            function,
            source: EventSource::for_stream(&arn),
            report: Arc::default(),
            done: Arc::default(),
        })
    }

    fn worker(&self, shard: String, parents: Vec<String>) -> ShardWorker {
        ShardWorker {
            mapping: self.clone(),
            shard,
            parents,
            last_read: std::sync::Mutex::new(None),
        }
    }

    fn report(&self) -> EsmReport {
        self.report.lock().expect("report lock").clone()
    }

    fn update(&self, change: impl FnOnce(&mut EsmReport)) {
        change(&mut self.report.lock().expect("report lock"));
    }
}

/// How the function's answer to one batch is judged.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Every record succeeded.
    Success,
    /// `batchItemFailures`: records from this index on are to be retried.
    FailedFrom(usize),
    /// The whole batch failed: a function error.
    Failed(String),
    /// The function was never run (unreachable, throttled, not started):
    /// retried, but not a function error.
    NotInvoked(String),
}

struct ShardWorker {
    mapping: Mapping,
    shard: String,
    /// The shards this one was split or merged from: read first, so that a
    /// key's records stay in order across a reshard.
    parents: Vec<String>,
    /// When this shard was last read: `GetRecords` is paced to
    /// [`MIN_GET_RECORDS_INTERVAL`].
    last_read: std::sync::Mutex<Option<Instant>>,
}

/// A shard serves at most 5 `GetRecords` calls a second, shared by every
/// consumer reading it; past that it throttles them all.
pub const MIN_GET_RECORDS_INTERVAL: Duration = Duration::from_millis(200);

/// The largest event Lambda accepts for a synchronous invocation, 6 MB
/// (6,291,456 bytes); an event-source mapping never sends a bigger one, and
/// cuts the batch short instead.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// The `condition` of an on-failure record when `MaximumRetryAttempts` ran out.
pub const RETRY_ATTEMPTS_EXHAUSTED: &str = "RetryAttemptsExhausted";
/// The `condition` of an on-failure record for records older than
/// `MaximumRecordAgeInSeconds`.
pub const RECORD_AGE_EXCEEDED: &str = "RecordAgeExceeded";

/// When Kinesis received `record`, if it says.
fn arrival(record: &Record) -> Option<DateTime<Utc>> {
    record
        .approximate_arrival_timestamp()
        .and_then(|t| t.to_millis().ok())
        .and_then(DateTime::from_timestamp_millis)
}

/// Reads of a shard that fail in a row before a one-shot run
/// ([`run_until_caught_up`]) gives up; a mapping running in the background
/// keeps retrying, as Lambda does.
const MAX_READ_FAILURES_UNTIL_CAUGHT_UP: u32 = 10;

/// Where a worker reads next.
enum Next {
    /// From this iterator.
    Iterator(String),
    /// From a fresh iterator at the checkpoint (at the start, or after a
    /// failed read or an expired iterator).
    Reopen,
    /// Nowhere: the shard is closed and read to its end.
    Finished,
}

impl ShardWorker {
    async fn run(self, mode: Mode, mut stopped: watch::Receiver<bool>) -> Result<(), EsmError> {
        let result = self.read(mode, &mut stopped).await;
        self.mapping.done.lock().expect("done lock").insert(self.shard.clone());
        result
    }

    /// Waits until every parent shard is done; false if stopped meanwhile.
    async fn parents_done(&self, stopped: &mut watch::Receiver<bool>) -> bool {
        loop {
            let all_done = {
                let done = self.mapping.done.lock().expect("done lock");
                self.parents.iter().all(|parent| done.contains(parent))
            };
            if all_done {
                return true;
            }
            if *stopped.borrow() {
                return false;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    async fn read(&self, mode: Mode, stopped: &mut watch::Receiver<bool>) -> Result<(), EsmError> {
        if !self.parents.is_empty() {
            tracing::info!(shard = %self.shard, parents = ?self.parents, "waiting for the parent shards to be read");
            if !self.parents_done(stopped).await {
                return Ok(());
            }
        }
        let mut next = Next::Reopen;
        let mut read_failures = 0;
        loop {
            let read = match std::mem::replace(&mut next, Next::Reopen) {
                Next::Finished => break,
                Next::Iterator(iterator) => self.gather(iterator).await,
                Next::Reopen => match self.open_iterator().await {
                    Ok(iterator) => self.gather(iterator).await,
                    Err(error) => Err(error),
                },
            };
            let (records, caught_up, following) = match read {
                Ok(read) => read,
                Err(error) => {
                    read_failures += 1;
                    self.read_failed(error, read_failures, mode, stopped).await?;
                    if *stopped.borrow() {
                        break;
                    }
                    continue; // from a fresh iterator at the checkpoint
                }
            };
            read_failures = 0;
            if !records.is_empty() {
                self.deliver(records).await?;
            }
            next = following.map_or(Next::Finished, Next::Iterator);
            if *stopped.borrow() {
                break;
            }
            if caught_up {
                match mode {
                    Mode::UntilCaughtUp => break,
                    Mode::Forever => tokio::select! {
                        _ = tokio::time::sleep(self.mapping.config.poll_interval) => {}
                        _ = stopped.changed() => break,
                    },
                }
            }
        }
        Ok(())
    }

    /// A failed `GetShardIterator` or `GetRecords` (throttled, a network
    /// error, an iterator that expired after its 5 minutes): logged, then
    /// retried after a growing pause from a fresh iterator at the checkpoint,
    /// so that no record is skipped or delivered twice. A stream that no
    /// longer exists ends the worker.
    async fn read_failed(
        &self,
        error: KinesisError,
        failures: u32,
        mode: Mode,
        stopped: &mut watch::Receiver<bool>,
    ) -> Result<(), EsmError> {
        let gone = matches!(error.inner(), aws_sdk_kinesis::Error::ResourceNotFoundException(_));
        let tried_enough =
            mode == Mode::UntilCaughtUp && failures > MAX_READ_FAILURES_UNTIL_CAUGHT_UP;
        if gone || tried_enough {
            return Err(error.into());
        }
        let pause = backoff(self.mapping.config.retry_delay, failures);
        tracing::warn!(shard = %self.shard, failures, ?pause, %error, "reading the shard failed: retrying from the checkpoint");
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stopped.changed() => {}
        }
        Ok(())
    }

    /// An iterator just after the checkpoint, or at the starting position
    /// when nothing is checkpointed yet.
    async fn open_iterator(&self) -> Result<String, KinesisError> {
        let request = self
            .mapping
            .kinesis
            .get_shard_iterator()
            .stream_name(&self.mapping.config.stream)
            .shard_id(&self.shard);
        let checkpoint =
            self.mapping.report.lock().expect("report lock").checkpoints.get(&self.shard).cloned();
        let request = match (checkpoint, self.mapping.config.starting_position) {
            (Some(sequence_number), _) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(sequence_number),
            (None, StartingPosition::TrimHorizon) => {
                request.shard_iterator_type(ShardIteratorType::TrimHorizon)
            }
            (None, StartingPosition::Latest) => {
                request.shard_iterator_type(ShardIteratorType::Latest)
            }
            (None, StartingPosition::AtTimestamp(at)) => request
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(SdkDateTime::from_millis(at.timestamp_millis())),
        };
        let output = request.send().await?;
        Ok(output.shard_iterator().unwrap_or_default().to_owned())
    }

    /// Waits until a `GetRecords` call on this shard keeps within
    /// [`MIN_GET_RECORDS_INTERVAL`] of the last one.
    async fn pace(&self) {
        let wait = self.last_read.lock().expect("pace lock").map(|last| {
            (last + MIN_GET_RECORDS_INTERVAL).saturating_duration_since(Instant::now())
        });
        if let Some(wait) = wait.filter(|wait| !wait.is_zero()) {
            tokio::time::sleep(wait).await;
        }
        *self.last_read.lock().expect("pace lock") = Some(Instant::now());
    }

    /// Gathers up to `batch_size` records, polling for up to the batching
    /// window. Returns the records, whether the shard is caught up, and the
    /// next iterator (`None` once a closed shard is fully read).
    async fn gather(
        &self,
        iterator: String,
    ) -> Result<(Vec<Record>, bool, Option<String>), KinesisError> {
        let config = &self.mapping.config;
        let deadline = Instant::now() + config.maximum_batching_window;
        let mut records = Vec::new();
        let mut iterator = Some(iterator);
        loop {
            let Some(current) = iterator.take() else { return Ok((records, true, None)) };
            self.pace().await;
            let page = self
                .mapping
                .kinesis
                .get_records()
                .shard_iterator(current)
                .limit((config.batch_size - records.len()) as i32)
                .send()
                .await?;
            let caught_up = crate::shards::is_caught_up(&page);
            records.extend(page.records().iter().cloned());
            iterator = page.next_shard_iterator().map(str::to_owned);
            if records.len() >= config.batch_size
                || Instant::now() >= deadline
                || iterator.is_none()
            {
                return Ok((records, caught_up, iterator));
            }
            // Within the batching window: poll again (paced) for more records.
        }
    }

    /// The first records of `records` whose event stays within
    /// [`MAX_PAYLOAD_BYTES`] (at least one), the event that carries them,
    /// and the rest.
    fn within_payload_limit(
        &self,
        mut records: Vec<Record>,
    ) -> (Vec<Record>, KinesisEvent, Vec<Record>) {
        let envelope = pitlane::lambda::to_lambda_json(&batch(Vec::new())).len();
        let mut size = envelope;
        let mut event = batch(Vec::with_capacity(records.len()));
        for record in &records {
            let one = batch(vec![self.mapping.source.event_record(&self.shard, record)]);
            // Each record adds its own JSON and a comma.
            size += pitlane::lambda::to_lambda_json(&one).len() - envelope + 1;
            if size > MAX_PAYLOAD_BYTES && !event.records.is_empty() {
                break;
            }
            event.records.extend(one.records);
        }
        let rest = records.split_off(event.records.len());
        (records, event, rest)
    }

    // ANCHOR: deliver
    /// Invokes the function with `records` until they are all processed or
    /// given up, moving the checkpoint as it goes.
    ///
    /// - A function error retries the batch (counting against
    ///   `MaximumRetryAttempts`), or with `BisectBatchOnFunctionError` splits
    ///   it in halves, each retried on its own.
    /// - A partial failure (`batchItemFailures`) checkpoints before the
    ///   lowest reported record and retries from it; with bisect on too, AWS
    ///   splits the batch *at* that record rather than in halves, which is
    ///   the same thing: only the records from it on are retried.
    /// - An invocation that never ran the function (unreachable, refused,
    ///   not started) is retried with a growing pause and counts for nothing:
    ///   AWS does not count it as a retry.
    async fn deliver(&self, records: Vec<Record>) -> Result<(), EsmError> {
        let config = &self.mapping.config;
        let mut queue = VecDeque::from([(records, 0u32)]);
        let mut not_invoked = 0u32;
        while let Some((records, retries)) = queue.pop_front() {
            let (expired, records) = self.split_expired(records);
            if !expired.is_empty() {
                let error = "the records are older than MaximumRecordAgeInSeconds";
                self.give_up(&expired, retries, RECORD_AGE_EXCEEDED, error)?;
            }
            if records.is_empty() {
                continue;
            }
            let (records, event, rest) = self.within_payload_limit(records);
            if !rest.is_empty() {
                // Delivered after these (and their retries), as a batch of its own.
                queue.push_front((rest, 0));
            }
            self.mapping.update(|report| {
                report.invocations += 1;
                report.records_delivered += records.len() as u64;
            });
            let verdict = judge(
                &records,
                self.mapping.function.invoke(event).await,
                config.report_batch_item_failures,
            );
            let (failed_from, error, whole_batch) = match verdict {
                Verdict::Success => {
                    not_invoked = 0;
                    self.checkpoint(&records, records.len());
                    continue;
                }
                Verdict::NotInvoked(error) => {
                    not_invoked += 1;
                    let pause = backoff(config.retry_delay, not_invoked);
                    tracing::warn!(shard = %self.shard, %error, ?pause, "the function could not be invoked: retrying, not counted");
                    tokio::time::sleep(pause).await;
                    queue.push_front((records, retries));
                    continue;
                }
                Verdict::FailedFrom(index) => {
                    (index, "the function reported batch item failures".to_owned(), false)
                }
                Verdict::Failed(error) => (0, error, true),
            };
            not_invoked = 0;
            tracing::warn!(shard = %self.shard, records = records.len(), failed_from, retries, %error, "batch failed");
            self.checkpoint(&records, failed_from);
            let rest = records[failed_from..].to_vec();
            if whole_batch && config.bisect_batch_on_function_error && rest.len() > 1 {
                // Split and retry the halves, each with a fresh retry count.
                let second = rest[rest.len() / 2..].to_vec();
                let first = rest[..rest.len() / 2].to_vec();
                queue.push_front((second, 0));
                queue.push_front((first, 0));
            } else if config.maximum_retry_attempts.is_some_and(|max| retries >= max) {
                self.give_up(&rest, retries + 1, RETRY_ATTEMPTS_EXHAUSTED, &error)?;
            } else {
                tokio::time::sleep(config.retry_delay).await;
                queue.push_front((rest, retries + 1));
            }
        }
        Ok(())
    }
    // ANCHOR_END: deliver

    /// Records that the first `count` records of `records` are done.
    fn checkpoint(&self, records: &[Record], count: usize) {
        if count == 0 {
            return;
        }
        let last = records[count - 1].sequence_number().to_owned();
        self.mapping.update(|report| {
            report.records_succeeded += count as u64;
            report.checkpoints.insert(self.shard.clone(), last);
        });
    }

    /// The leading records of `records` older than `MaximumRecordAgeInSeconds`
    /// (by their arrival in the stream), which the function must not be sent,
    /// and the others. A shard's records arrive in order, so the old ones
    /// come first.
    fn split_expired(&self, mut records: Vec<Record>) -> (Vec<Record>, Vec<Record>) {
        let Some(age) = self.mapping.config.maximum_record_age else {
            return (Vec::new(), records);
        };
        let oldest_allowed = Utc::now() - age;
        let expired =
            records.iter().take_while(|r| arrival(r).is_some_and(|at| at < oldest_allowed)).count();
        let rest = records.split_off(expired);
        (records, rest)
    }

    /// Skips `records` for good: records their metadata at the on-failure
    /// destination (and in the report), and checkpoints past them.
    /// `condition` is AWS's reason: [`RETRY_ATTEMPTS_EXHAUSTED`] or
    /// [`RECORD_AGE_EXCEEDED`].
    fn give_up(
        &self,
        records: &[Record],
        invokes: u32,
        condition: &str,
        error: &str,
    ) -> Result<(), EsmError> {
        let (first, last) = (&records[0], &records[records.len() - 1]);
        let failure = FailureRecord {
            request_context: RequestContext {
                request_id: format!("pitlane-esm-{}-{}", self.shard, first.sequence_number()),
                function_arn: function_arn(self.mapping.function.function_name()),
                condition: condition.to_owned(),
                approximate_invoke_count: invokes,
            },
            response_context: ResponseContext {
                status_code: 200,
                executed_version: "$LATEST".to_owned(),
                function_error: "Unhandled".to_owned(),
            },
            version: "1.0".to_owned(),
            timestamp: Utc::now(),
            kinesis_batch_info: KinesisBatchInfo {
                shard_id: self.shard.clone(),
                start_sequence_number: first.sequence_number().to_owned(),
                end_sequence_number: last.sequence_number().to_owned(),
                approximate_arrival_of_first_record: arrival(first),
                approximate_arrival_of_last_record: arrival(last),
                batch_size: records.len(),
                stream_arn: self.mapping.source.stream_arn.clone(),
            },
            last_error: error.to_owned(),
        };
        tracing::error!(shard = %self.shard, records = records.len(), invokes, %error, "retries exhausted: batch skipped");
        if let Some(path) = &self.mapping.config.on_failure {
            let line = serde_json::to_string(&failure).expect("plain data serializes") + "\n";
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut file| file.write_all(line.as_bytes()));
            written.map_err(|source| EsmError::Destination {
                path: path.display().to_string(),
                source,
            })?;
        }
        let last_seq = last.sequence_number().to_owned();
        self.mapping.update(|report| {
            report.records_given_up += records.len() as u64;
            report.checkpoints.insert(self.shard.clone(), last_seq);
            report.failures.push(failure);
        });
        Ok(())
    }
}

/// The pause before the `attempt`-th retry of something that keeps failing
/// for reasons outside the function (a read, an invoke): doubling from
/// `base` (at least 100 ms), at most 30 s.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let first = base.max(Duration::from_millis(100));
    first.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(Duration::from_secs(30))
}

// ANCHOR: judge
/// Judges the function's answer as Lambda does.
///
/// Without `ReportBatchItemFailures`, any answer is a success. With it, an
/// answer listing failures means "retry from the lowest failed record"; a
/// failure whose `itemIdentifier` is empty or not in the batch makes the
/// whole batch a failure.
fn judge(
    records: &[Record],
    answer: Result<serde_json::Value, FunctionError>,
    report_item_failures: bool,
) -> Verdict {
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) if !error.is_function_error() => return Verdict::NotInvoked(error.to_string()),
        Err(error) => return Verdict::Failed(error.to_string()),
    };
    if !report_item_failures {
        return Verdict::Success;
    }
    let Some(failures) = answer.get("batchItemFailures").and_then(|f| f.as_array()) else {
        return Verdict::Success;
    };
    let mut lowest: Option<usize> = None;
    for failure in failures {
        let id = failure.get("itemIdentifier").and_then(|id| id.as_str()).unwrap_or_default();
        match records.iter().position(|record| record.sequence_number() == id) {
            Some(index) => lowest = Some(lowest.map_or(index, |l| l.min(index))),
            None => {
                return Verdict::Failed(format!(
                    "invalid batch item failure itemIdentifier {id:?}"
                ));
            }
        }
    }
    lowest.map_or(Verdict::Success, Verdict::FailedFrom)
}
// ANCHOR_END: judge

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::primitives::Blob;
    use serde_json::json;

    fn records(count: usize) -> Vec<Record> {
        (0..count)
            .map(|i| {
                Record::builder()
                    .sequence_number(format!("{}", 1000 + i))
                    .partition_key("k")
                    .data(Blob::new("{}"))
                    .build()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn an_error_fails_the_whole_batch() {
        let verdict = judge(&records(3), Err(FunctionError::Unhandled("boom".into())), true);
        assert_eq!(verdict, Verdict::Failed("function error: boom".into()));
    }

    #[test]
    fn without_report_batch_item_failures_any_answer_is_a_success() {
        let answer = json!({"batchItemFailures": [{"itemIdentifier": "1001"}]});
        assert_eq!(judge(&records(3), Ok(answer), false), Verdict::Success);
    }

    #[test]
    fn an_empty_or_missing_list_is_a_success() {
        for answer in [
            json!(null),
            json!({}),
            json!({"batchItemFailures": []}),
            json!({"batchItemFailures": null}),
        ] {
            assert_eq!(judge(&records(3), Ok(answer), true), Verdict::Success);
        }
    }

    #[test]
    fn the_lowest_failed_record_is_where_the_retry_starts() {
        let answer =
            json!({"batchItemFailures": [{"itemIdentifier": "1003"}, {"itemIdentifier": "1001"}]});
        assert_eq!(judge(&records(5), Ok(answer), true), Verdict::FailedFrom(1));
    }

    #[test]
    fn an_unknown_or_empty_item_identifier_fails_the_whole_batch() {
        for id in [json!("999"), json!(""), json!(null)] {
            let answer = json!({"batchItemFailures": [{"itemIdentifier": id}]});
            assert!(matches!(judge(&records(3), Ok(answer), true), Verdict::Failed(_)));
        }
    }
}
