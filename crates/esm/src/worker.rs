//! A shard worker: reads its shard in order (after its parents), paces its
//! `GetRecords` calls, and hands what it read to delivery.

use std::time::Duration;

use aws_sdk_kinesis::primitives::DateTime as SdkDateTime;
use aws_sdk_kinesis::types::{Record, ShardIteratorType};
use pitlane::aws::KinesisError;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::StartingPosition;
use crate::mapping::{EsmError, Mapping, Mode};

/// One shard's reader and deliverer.
pub(crate) struct ShardWorker {
    pub(crate) mapping: Mapping,
    pub(crate) shard: String,
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

/// The most records one `GetRecords` call returns.
const MAX_GET_RECORDS: usize = 10_000;

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
    pub(crate) fn new(mapping: Mapping, shard: String, parents: Vec<String>) -> Self {
        Self { mapping, shard, parents, last_read: std::sync::Mutex::new(None) }
    }

    pub(crate) async fn run(
        self,
        mode: Mode,
        mut stopped: watch::Receiver<bool>,
    ) -> Result<(), EsmError> {
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
            let gathering = async {
                match std::mem::replace(&mut next, Next::Reopen) {
                    Next::Finished => None,
                    Next::Iterator(iterator) => Some(self.gather(iterator).await),
                    Next::Reopen => Some(match self.open_iterator().await {
                        Ok(iterator) => self.gather(iterator).await,
                        Err(error) => Err(error),
                    }),
                }
            };
            // A stop ends a read at once, even inside a long batching window
            // (the archiver's is a minute): what was read but not delivered
            // is not checkpointed, so a next run reads it again.
            let read = tokio::select! {
                read = gathering => read,
                _ = stop_asked(stopped) => break,
            };
            let Some(read) = read else { break };
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
                self.deliver_read(records).await?;
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

    /// Gathers up to `batch_size` records (times the parallelization
    /// factor: that many batches may be in flight), polling for up to the
    /// batching window. Returns the records, whether the shard is caught up, and the
    /// next iterator (`None` once a closed shard is fully read).
    async fn gather(
        &self,
        iterator: String,
    ) -> Result<(Vec<Record>, bool, Option<String>), KinesisError> {
        let config = &self.mapping.config;
        let deadline = Instant::now() + config.maximum_batching_window;
        let wanted = (config.batch_size * config.parallelization_factor).min(MAX_GET_RECORDS);
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
                .limit((wanted - records.len()) as i32)
                .send()
                .await?;
            let caught_up = crate::shards::is_caught_up(&page);
            records.extend(page.records().iter().cloned());
            iterator = page.next_shard_iterator().map(str::to_owned);
            if records.len() >= wanted || Instant::now() >= deadline || iterator.is_none() {
                return Ok((records, caught_up, iterator));
            }
            // Within the batching window: poll again for more records. At
            // the tip, at Lambda's base rate of one call a second per shard
            // (`poll_interval`): a window spent polling five times a second
            // would take the shard's whole read allowance, shared by every
            // consumer of the shard (seen with the archiver's one-minute
            // window beside the vote counter: both throttled for minutes).
            if caught_up {
                let rest = deadline.saturating_duration_since(Instant::now());
                tokio::time::sleep(config.poll_interval.min(rest)).await;
            }
        }
    }
}

/// The pause before the `attempt`-th retry of something that keeps failing
/// for reasons outside the function (a read, an invoke): doubling from
/// `base` (at least 100 ms), at most 30 s.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let first = base.max(Duration::from_millis(100));
    first.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(Duration::from_secs(30))
}

/// Completes once a stop is asked for (never, if nobody can ask any more).
async fn stop_asked(stopped: &mut watch::Receiver<bool>) {
    while !*stopped.borrow_and_update() {
        if stopped.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
