//! `just demo`: the whole Driver of the Day system on the local backend.
//!
//! ```text
//!  browser ──▶ local gateway ──POST /vote──▶ vote API (day 05) ──▶ Kinesis
//!     ▲            │                                                │
//!     │            └──GET /results──▶ results API (day 08)          ▼
//!     │                                   ▲               event-source mapping
//!     └──── web/ pages                    └── Results ◀── record-votes (day 11)
//!                                                  ▲
//!                       S3 archive ◀── archive-votes (day 12), a second mapping
//!                            └──▶ replay (day 12, the template's state machine)
//! ```
//!
//! Everything runs in this process but the emulators: the gateway invokes
//! the API handlers and the event-source mapping invokes the consumer, all
//! the very functions the Lambda binaries wrap (from `solutions/`).

pub mod crowd;
pub mod gateway;
pub mod lan;
pub mod local_idp;
pub mod template;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use lambda_runtime::LambdaEvent;
use pitlane::lambda::KinesisEvent;
use pitlane_esm::{EsmConfig, EventSourceMapping, InProcess};
use tokio::sync::watch;

use crate::gateway::Gateway;

/// The names of one demo run's resources.
#[derive(Clone, Debug)]
pub struct Names {
    pub stream: String,
    pub tables: day09_failures_and_retries_solution::Tables,
    /// The on-failure queue (template.yaml's `FailedBatchesQueue`).
    pub failed_batches: String,
    /// The archive's bucket (template.yaml's `ArchiveBucket`).
    pub archive: String,
}

impl Names {
    /// Fresh names, so that each run starts from zero votes.
    pub fn fresh() -> Self {
        // The time for people reading the names; the process and a count so
        // that systems started in the same second (tests) never share one.
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let count = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let run = format!(
            "{}-{}-{count}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S"),
            std::process::id()
        );
        Self {
            stream: format!("pitlane-votes-{run}"),
            tables: day09_failures_and_retries_solution::Tables {
                votes: format!("pitlane-votes-{run}-Votes"),
                results: format!("pitlane-votes-{run}-Results"),
                dead_letters: format!("pitlane-votes-{run}-DeadLetters"),
            },
            failed_batches: format!("pitlane-votes-{run}-failed-batches"),
            archive: format!("pitlane-votes-{run}-archive"),
        }
    }
}

/// The running system: stop it with [`System::stop`].
pub struct System {
    pub names: Names,
    pub url: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// When the system started: a replay's range starts here.
    pub started_at: chrono::DateTime<chrono::Utc>,
    archive: day12_archive_replay_solution::Archive,
    mapping: EventSourceMapping,
    archiver: EventSourceMapping,
    root: std::path::PathBuf,
    stop_gateway: watch::Sender<bool>,
    gateway: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl System {
    /// Creates the stream (2 shards) and the tables, starts the
    /// event-source mapping and the gateway on `port` (0: any free port).
    pub async fn start(root: &Path, port: u16) -> Result<Self> {
        Self::start_with_shards(root, port, 2).await
    }

    /// [`start`](Self::start) with a stream of `shards` shards.
    pub async fn start_with_shards(root: &Path, port: u16, shards: i32) -> Result<Self> {
        Self::start_on(root, std::net::Ipv4Addr::LOCALHOST.into(), port, shards, false).await
    }

    /// [`start_with_shards`](Self::start_with_shards), with the gateway on
    /// `ip`; `classroom` serves the vote page's QR code and throttles each
    /// device's votes (`just demo --lan`).
    pub async fn start_on(
        root: &Path,
        ip: std::net::IpAddr,
        port: u16,
        shards: i32,
        classroom: bool,
    ) -> Result<Self> {
        let config = pitlane::aws::load_config().await;
        let kinesis = aws_sdk_kinesis::Client::new(&config);
        let dynamodb = aws_sdk_dynamodb::Client::new(&config);
        let names = Names::fresh();
        let started_at = chrono::Utc::now();

        pitlane_esm::shards::create_stream_and_wait(&kinesis, &names.stream, shards).await?;
        day09_failures_and_retries_solution::create_tables(&dynamodb, &names.tables).await?;

        // The consumer `just deploy` deploys: day 11's concurrent
        // exactly-once count, with day 09's retries and dead letters.
        let consumer = {
            let consumer = Arc::new(day09_failures_and_retries_solution::Consumer {
                client: dynamodb.clone(),
                tables: names.tables.clone(),
                retry: day09_failures_and_retries_solution::RetryPolicy::default(),
            });
            InProcess::new(
                "record-votes",
                Duration::from_secs(10),
                move |event: LambdaEvent<KinesisEvent>| {
                    let consumer = consumer.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(
                            day11_keep_up_solution::handle(
                                &consumer,
                                event.payload,
                                day11_keep_up_solution::CONCURRENCY,
                            )
                            .await,
                        )
                    }
                },
            )
        };
        // The mapping and the HTTP API are configured as template.yaml
        // configures them on AWS: one source.
        let template =
            std::fs::read_to_string(root.join("template.yaml")).context("reading template.yaml")?;
        let mapping = template::MappingSettings::from_template(&template, "RecordVotesMapping")?;
        // The on-failure destination template.yaml names: an SQS queue (on
        // the local backend's moto), which receives AWS's record of each
        // batch given up.
        let sqs = aws_sdk_sqs::Client::new(&config);
        let queue_url = sqs
            .create_queue()
            .queue_name(&names.failed_batches)
            .send()
            .await
            .context("creating the on-failure queue")?
            .queue_url()
            .unwrap_or_default()
            .to_owned();
        let on_failure = pitlane_esm::OnFailure::Sqs { client: sqs, queue_url: queue_url.clone() };
        let api = template::HttpApi::from_template(&template)?;
        let esm = mapping.applied_to(EsmConfig {
            on_failure: Some(on_failure),
            ..EsmConfig::new(&names.stream)
        });
        let mapping =
            EventSourceMapping::start(kinesis.clone(), esm.clone(), Arc::new(consumer)).await?;

        // The archiver (day 12): a second mapping on the same stream, as
        // template.yaml's ArchiveVotesMapping sets it (large batches,
        // gathered for up to a minute), into the archive bucket.
        let archive = day12_archive_replay_solution::Archive {
            client: day12_archive_replay_solution::s3_client(&config),
            bucket: names.archive.clone(),
        };
        archive
            .client
            .create_bucket()
            .bucket(&archive.bucket)
            .send()
            .await
            .context("creating the archive bucket")?;
        let settings = template::MappingSettings::from_template(&template, "ArchiveVotesMapping")?;
        let archiver = {
            let archive = archive.clone();
            InProcess::new(
                "archive-votes",
                Duration::from_secs(30),
                move |event: LambdaEvent<KinesisEvent>| {
                    let archive = archive.clone();
                    async move {
                        day12_archive_replay_solution::lambda::archive(&archive, event.payload)
                            .await
                    }
                },
            )
        };
        let archiving = settings.applied_to(esm);
        let archiver =
            EventSourceMapping::start(kinesis.clone(), archiving, Arc::new(archiver)).await?;

        let (listener, address) = gateway::bind(ip, port)
            .await
            .with_context(|| format!("cannot listen on {ip} port {port} (taken?)"))?;
        let classroom = classroom.then(|| gateway::Classroom {
            vote_url: lan::vote_url(address),
            host: address.ip(),
            per_device: gateway::PER_DEVICE,
        });
        let gateway = Gateway {
            kinesis,
            dynamodb: dynamodb.clone(),
            // Fans sign in with the local identity provider and the gateway
            // checks their tokens, as API Gateway's JWT authorizer does with
            // Cognito's: the function does not trust the demo header.
            vote_api: day05_vote_api_solution::ApiConfig {
                stream: names.stream.clone(),
                allowed_origins: vec!["*".to_owned()],
                trust_user_header: false,
            },
            results_api: day08_results_api_solution::ApiConfig {
                table: names.tables.results.clone(),
                allowed_origins: vec!["*".to_owned()],
            },
            api,
            allowed_origins: vec!["*".to_owned()],
            idp: Arc::new(local_idp::LocalIdp::new(format!(
                "http://{address}{}",
                gateway::SIGN_IN_PATH
            ))),
            web_root: root.join("web"),
            grid_file: root.join("data/grid.json"),
            throttles: gateway::Throttles::default(),
            lag: Some(mapping.reporter()),
            classroom,
        };
        let (stop_gateway, stopped) = watch::channel(false);
        let gateway = tokio::spawn(gateway.serve(listener, stopped));
        Ok(Self {
            names,
            url: format!("http://{address}"),
            dynamodb,
            started_at,
            archive,
            mapping,
            archiver,
            root: root.to_owned(),
            stop_gateway,
            gateway,
        })
    }

    /// What the event-source mapping did so far (its largest iterator age
    /// among it).
    pub fn mapping_report(&self) -> pitlane_esm::EsmReport {
        self.mapping.report()
    }

    /// Records the consumer has processed so far.
    pub fn processed(&self) -> u64 {
        self.mapping.report().records_succeeded
    }

    /// Waits until the consumer has processed `records` records.
    pub async fn wait_for(&self, records: u64, timeout: Duration) -> Result<()> {
        wait_until(|| self.processed(), records, timeout, "votes processed").await
    }

    /// The results table as driver → votes.
    pub async fn counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let counts =
            day08_results_api_solution::read_counts(&self.dynamodb, &self.names.tables.results)
                .await?;
        Ok(counts.into_iter().map(|c| (c.driver, c.votes)).collect())
    }

    /// Records the archiver has written to S3 so far.
    pub fn archived(&self) -> u64 {
        self.archiver.report().records_succeeded
    }

    /// Waits until the archiver has written `records` records (its mapping
    /// gathers a batch for up to a minute, as template.yaml sets it).
    pub async fn wait_for_archive(&self, records: u64, timeout: Duration) -> Result<()> {
        wait_until(|| self.archived(), records, timeout, "records archived").await
    }

    /// A bug, on purpose: every driver's count is doubled, as a consumer
    /// that counted each vote twice would leave it.
    pub async fn count_wrongly(&self) -> Result<()> {
        for (driver, votes) in self.counts().await? {
            self.dynamodb
                .update_item()
                .table_name(&self.names.tables.results)
                .key("driver", aws_sdk_dynamodb::types::AttributeValue::S(driver))
                .update_expression("ADD votes :more")
                .expression_attribute_values(
                    ":more",
                    aws_sdk_dynamodb::types::AttributeValue::N(votes.to_string()),
                )
                .send()
                .await?;
        }
        Ok(())
    }

    /// The fix: empties `Votes` and `Results` (the counting must be paused:
    /// the demo's crowd is done by now), then runs template.yaml's replay
    /// state machine over everything since the start, with the replay
    /// function in process. Returns the state machine's output.
    pub async fn rebuild(&self) -> Result<serde_json::Value> {
        for (table, key) in
            [(&self.names.tables.results, "driver"), (&self.names.tables.votes, "user")]
        {
            let mut pages = self.dynamodb.scan().table_name(table).into_paginator().items().send();
            while let Some(item) = pages.next().await {
                let item = item?;
                let value = item.get(key).cloned().context("an item without its key")?;
                self.dynamodb.delete_item().table_name(table).key(key, value).send().await?;
            }
        }
        let replayer = Arc::new(day12_archive_replay_solution::Replayer {
            archive: self.archive.clone(),
            consumer: day09_failures_and_retries_solution::Consumer {
                client: self.dynamodb.clone(),
                tables: self.names.tables.clone(),
                retry: day09_failures_and_retries_solution::RetryPolicy::default(),
            },
        });
        let task = pitlane_sfn::task(move |input| {
            let replayer = replayer.clone();
            async move {
                day12_archive_replay_solution::lambda::replay_json(&replayer, input)
                    .await
                    .map_err(|d| pitlane_sfn::Failure::new(d.error_type, d.error_message))
            }
        });
        let machine = pitlane_sfn::StateMachine::from_template(
            &self.root.join("template.yaml"),
            "ReplayStateMachine",
        )?
        .with_task("ReplayFunctionArn", task);
        let range = serde_json::json!({
            "from": self.started_at - chrono::Duration::minutes(1),
            "to": chrono::Utc::now() + chrono::Duration::minutes(1),
        });
        machine.run(range).await.map_err(|failure| anyhow::anyhow!("the replay failed: {failure}"))
    }

    /// Stops the gateway and the event-source mappings.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop_gateway.send(true);
        self.gateway.await??;
        self.mapping.stop().await?;
        self.archiver.stop().await?;
        Ok(())
    }
}

/// Waits until `done()` reaches `records`, looking every 50 ms, at most
/// `timeout`.
async fn wait_until(
    done: impl Fn() -> u64,
    records: u64,
    timeout: Duration,
    what: &str,
) -> Result<()> {
    let started = Instant::now();
    while done() < records {
        if started.elapsed() > timeout {
            bail!("only {} of {records} {what} after {timeout:?}", done());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
