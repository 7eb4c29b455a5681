//! The mapping itself: one worker per shard ([`crate::worker`]), what it
//! reports, and the two ways to run it (until caught up, or in the
//! background until stopped). How a batch is delivered and judged is in
//! [`crate::delivery`]; what a batch given up leaves behind, in
//! [`crate::on_failure`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_kinesis::Client;
use pitlane::aws::KinesisError;
use pitlane::lambda::EventSource;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::EsmConfig;
use crate::invoke::Invoke;
use crate::on_failure::FailureRecord;
use crate::worker::ShardWorker;

#[derive(Debug, thiserror::Error)]
pub enum EsmError {
    #[error("invalid event-source mapping settings: {0}")]
    Config(String),
    #[error(transparent)]
    Kinesis(#[from] KinesisError),
    #[error("writing the on-failure file {path}: {source}")]
    Destination { path: String, source: std::io::Error },
    #[cfg(feature = "sqs")]
    #[error("sending to the on-failure queue {queue}: {source}")]
    Queue { queue: String, source: Box<aws_sdk_sqs::Error> },
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
    /// Lambda's `IteratorAge` of each shard's latest invocation: how long
    /// before it the batch's last record arrived in the stream, in ms.
    pub iterator_age_ms: BTreeMap<String, u64>,
    /// The largest `IteratorAge` seen so far, in ms: how far behind the
    /// consumer fell at worst.
    pub max_iterator_age_ms: u64,
}

/// A live view of a running mapping's report (cheap to clone).
#[derive(Clone)]
pub struct EsmReporter(Arc<Mutex<EsmReport>>);

impl EsmReporter {
    /// What the mapping did so far.
    pub fn report(&self) -> EsmReport {
        self.0.lock().expect("report lock").clone()
    }

    /// How far behind the consumer is now: the largest of the shards'
    /// latest `IteratorAge`.
    pub fn iterator_age(&self) -> Option<std::time::Duration> {
        let report = self.0.lock().expect("report lock");
        report.iterator_age_ms.values().max().map(|ms| std::time::Duration::from_millis(*ms))
    }
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

    /// A view of the report that stays live while the mapping runs.
    pub fn reporter(&self) -> EsmReporter {
        EsmReporter(self.report.clone())
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
pub(crate) enum Mode {
    UntilCaughtUp,
    Forever,
}

/// What every shard worker shares.
#[derive(Clone)]
pub(crate) struct Mapping {
    pub(crate) kinesis: Client,
    pub(crate) config: Arc<EsmConfig>,
    pub(crate) function: Arc<dyn Invoke>,
    pub(crate) source: EventSource,
    pub(crate) report: Arc<Mutex<EsmReport>>,
    /// Shards read to their end (or whose worker is done): their children
    /// may be read.
    pub(crate) done: Arc<Mutex<BTreeSet<String>>>,
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
        ShardWorker::new(self.clone(), shard, parents)
    }

    fn report(&self) -> EsmReport {
        self.report.lock().expect("report lock").clone()
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut EsmReport)) {
        change(&mut self.report.lock().expect("report lock"));
    }
}
