//! The fixture recorder: `just record`.
//!
//! Produces a deterministic scenario into a fresh stream on the local backend,
//! reads every shard back the way an event-source mapping does (GetRecords
//! with a batch-size limit, from TRIM_HORIZON) and writes each batch, in the
//! exact JSON a Kinesis-triggered Lambda receives, under `fixtures/`.
//!
//! Payloads are the same at every recording; sequence numbers, arrival
//! timestamps and the stream name change, so tests redact those.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use clap::{Parser, ValueEnum};
use pitlane::aws::KinesisError;
use pitlane::lambda::{EventSource, batch, to_lambda_json};
use pitlane::sensors::Simulator;
use pitlane::votes::Crowd;
use pitlane_esm::shards::{create_stream_and_wait, read_pages_from_start, shard_ids};
use tracing::info;

#[derive(Parser)]
#[command(about = "Record Kinesis batches, as Lambda delivers them, into fixtures/")]
struct Args {
    /// What to produce (every scenario when not given).
    #[arg(long, value_enum)]
    scenario: Option<Scenario>,
    /// The folder the batches are written to (emptied of earlier batches first).
    #[arg(long, default_value = "fixtures")]
    out: PathBuf,
    /// Records per batch: the event-source mapping's BatchSize (AWS default 100).
    #[arg(long, default_value_t = 100)]
    batch_size: i32,
}

#[derive(Clone, Copy, ValueEnum)]
enum Scenario {
    /// 240 readings of 6 trackside sensors over 2 shards; reading 100 is cut
    /// short (not valid JSON), as from a sensor that crashed mid-write.
    Sensors,
    /// 400 Driver of the Day votes from a crowd of 300 fans (some vote more
    /// than once) over 2 shards, keyed by fan; vote 150 is cut short and
    /// vote 250 is for a driver who is not on the grid.
    Votes,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Sensors => "sensors",
            Scenario::Votes => "votes",
        }
    }

    fn shards(self) -> i32 {
        match self {
            Scenario::Sensors | Scenario::Votes => 2,
        }
    }

    /// The records to put: (partition key, payload), in order.
    fn records(self) -> Vec<(String, Vec<u8>)> {
        match self {
            Scenario::Sensors => Simulator::new(2026, 6)
                .take(240)
                .into_iter()
                .map(|reading| {
                    let mut payload = serde_json::to_vec(&reading).expect("a reading serializes");
                    if reading.seq == 100 {
                        // The sensor crashed mid-write: half a JSON object.
                        payload.truncate(payload.len() / 2);
                    }
                    (reading.sensor_id, payload)
                })
                .collect(),
            Scenario::Votes => Crowd::new(2026, 300)
                .votes(400)
                .into_iter()
                .enumerate()
                .map(|(index, mut vote)| {
                    if index == 250 {
                        vote.vote = "XYZ".to_owned();
                    }
                    let mut payload = serde_json::to_vec(&vote).expect("a vote serializes");
                    if index == 150 {
                        payload.truncate(payload.len() / 2);
                    }
                    (vote.user, payload)
                })
                .collect(),
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    pitlane::telemetry::init();
    let args = Args::parse();
    let client = Client::new(&pitlane::aws::load_config().await);
    let scenarios = match args.scenario {
        Some(scenario) => vec![scenario],
        None => vec![Scenario::Sensors, Scenario::Votes],
    };
    for scenario in scenarios {
        record(&client, scenario, &args.out, args.batch_size).await?;
    }
    Ok(())
}

/// Records one scenario into `out/<scenario>/`.
async fn record(client: &Client, scenario: Scenario, out: &Path, batch_size: i32) -> Result<()> {
    let stream = format!("pitlane-record-{}-{}", scenario.name(), std::process::id());

    let arn = create_stream_and_wait(client, &stream, scenario.shards()).await?;
    let records = scenario.records();
    put_in_order(client, &stream, &records).await?;

    let folder = out.join(scenario.name());
    prepare_folder(&folder)?;
    let source = EventSource::for_stream(&arn);
    let mut files = 0;
    for shard in shard_ids(client, &stream).await? {
        let batches = read_pages_from_start(client, &stream, &shard, Some(batch_size)).await?;
        for (index, records) in batches.into_iter().enumerate() {
            let event = batch(records.iter().map(|r| source.event_record(&shard, r)).collect());
            let file = folder.join(format!("{shard}-batch-{:02}.json", index + 1));
            std::fs::write(&file, to_lambda_json(&event))
                .with_context(|| format!("writing {}", file.display()))?;
            info!(file = %file.display(), records = event.records.len(), "batch recorded");
            files += 1;
        }
    }
    client.delete_stream().stream_name(&stream).send().await.map_err(KinesisError::from)?;
    println!("recorded {} records in {files} batches under {}", records.len(), folder.display());
    Ok(())
}

/// Puts the records in small calls, one after the other, so that they arrive
/// in order and over a few moments (as a live producer would send them).
async fn put_in_order(client: &Client, stream: &str, records: &[(String, Vec<u8>)]) -> Result<()> {
    for chunk in records.chunks(40) {
        let entries = chunk
            .iter()
            .map(|(key, data)| {
                PutRecordsRequestEntry::builder()
                    .partition_key(key)
                    .data(Blob::new(data.clone()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = client
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await
            .map_err(KinesisError::from)?;
        if output.failed_record_count().unwrap_or(0) > 0 {
            bail!("the backend rejected {:?} records; record again", output.failed_record_count());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Creates `folder` and removes the batches of an earlier recording from it.
fn prepare_folder(folder: &Path) -> Result<()> {
    std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
