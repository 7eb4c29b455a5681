//! `just bench`: what Rust buys in this pipeline, measured on this machine.
//!
//! 1. Handler core: decode + validate + aggregate a 10,000-vote Lambda batch
//!    (day 06's `tally` after parsing the event), and its two halves,
//!    measured by criterion (`benches/handler_core.rs`, which `just bench`
//!    runs just before this), against the same work in plain Python, run here.
//! 2. DynamoDB requests per 1,000 votes (batches of 100) for days 06 and 07,
//!    against one write per vote.
//! 3. Cold start: process start to first handled event of the packaged vote
//!    consumer — the `bootstrap` in the zip `just package` builds, as
//!    deployed — under a minimal Lambda Runtime API stand-in, against a
//!    Python handler that imports boto3; the binary's and the zip's sizes.
//! 4. End to end: votes per second through `pitlane-demo`'s HTTP API, and
//!    the vote → results latency (p50/p95).
//!
//! Runs against the local backend (`scripts/backend.sh run`); a summary
//! table goes to standard output and to `target/bench/results.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use hyper_util::rt::TokioExecutor;
use pitlane::lambda::{KinesisEvent, batch};
use pitlane_bench::vote_batch;
use pitlane_demo::crowd::{post_vote, sign_in};
use pitlane_esm::{Invoke, RuntimeApiProcess};
use pitlane_testkit::{CallFaults, dynamodb, dynamodb_with, unique_name};

fn main() {
    let root = pitlane_testkit::workspace_root();
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).expect("target/bench");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let mut rows: Vec<[String; 4]> = Vec::new();

    handler_core(&root, &out, &mut rows);
    runtime.block_on(requests_per_thousand_votes(&mut rows));
    runtime.block_on(cold_start(&root, &out, &mut rows));
    runtime.block_on(end_to_end(&root, &mut rows));

    let mut table = String::from("| measure | Rust | baseline | note |\n|---|---|---|---|\n");
    for [measure, rust, baseline, note] in &rows {
        table.push_str(&format!("| {measure} | {rust} | {baseline} | {note} |\n"));
    }
    println!("\n{table}");
    std::fs::write(out.join("results.md"), &table).expect("writing results.md");
}

fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[((values.len() - 1) as f64 * p).round() as usize]
}

fn handler_core(root: &Path, out: &Path, rows: &mut Vec<[String; 4]>) {
    const RUNS: usize = 30;
    let json = vote_batch(10_000);
    let file = out.join("votes-10000.json");
    std::fs::write(&file, &json).expect("writing the batch");

    let python = Command::new("python3")
        .arg(root.join("bench/python_tally.py"))
        .arg(&file)
        .arg(root.join("data/grid.json"))
        .arg(RUNS.to_string())
        .output()
        .expect("running python3");
    assert!(python.status.success(), "{}", String::from_utf8_lossy(&python.stderr));
    let python: serde_json::Value =
        serde_json::from_slice(&python.stdout).expect("python_tally.py prints JSON");

    let measures = [
        (
            pitlane_bench::HANDLER_CORE_WHOLE,
            "whole",
            "handler core, 10,000-vote batch (7.7 MB event: parse, base64, JSON, validate, count)",
        ),
        (
            pitlane_bench::HANDLER_CORE_PARSE_EVENT,
            "parse_event",
            "· of which parsing the event, base64 included (`lambda_runtime`'s work)",
        ),
        (
            pitlane_bench::HANDLER_CORE_PER_RECORD,
            "per_record",
            "· of which the per-record work: vote JSON, validate, count (day 06's `tally`)",
        ),
    ];
    for (criterion_name, python_name, measure) in measures {
        let rust_ms = criterion_median_ms(root, criterion_name);
        let python_ms = python[python_name].as_f64().expect("milliseconds");
        rows.push([
            measure.into(),
            format!("{rust_ms:.1} ms ({:.2} M records/s)", 10_000.0 / rust_ms / 1000.0),
            format!("Python {python_ms:.1} ms ({:.2} M records/s)", 10_000.0 / python_ms / 1000.0),
            format!(
                "{:.1}× faster; Rust: criterion median of 30 samples; Python: median of {RUNS}; one core",
                python_ms / rust_ms
            ),
        ]);
    }
}

/// The median of handler core benchmark `name`, which criterion measured
/// just before this program ran.
fn criterion_median_ms(root: &Path, name: &str) -> f64 {
    let estimates = target_dir(root).join(pitlane_bench::handler_core_estimates(name));
    let estimates: serde_json::Value = std::fs::read_to_string(&estimates)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| {
            panic!(
                "{} is missing: `just bench` runs the criterion bench first",
                estimates.display()
            )
        });
    estimates["median"]["point_estimate"].as_f64().expect("a median") / 1e6
}

async fn requests_per_thousand_votes(rows: &mut Vec<[String; 4]>) {
    let batches: Vec<KinesisEvent> = (0..10)
        .map(|n| {
            let json = vote_batch(1000);
            let mut all: KinesisEvent = serde_json::from_str(&json).unwrap();
            batch(all.records.drain(n * 100..(n + 1) * 100).collect())
        })
        .collect();

    let updates = CallFaults::<UpdateItemInput>::counting();
    let client = dynamodb_with(updates.clone());
    let table = unique_name("bench-results");
    day06_count_votes_solution::create_table(&dynamodb(), &table).await.unwrap();
    for batch in &batches {
        day06_count_votes_solution::handle(&client, &table, batch.clone()).await.unwrap();
    }
    rows.push([
        "DynamoDB requests per 1,000 votes, day 06 (count)".into(),
        updates.calls().to_string(),
        "1,000 (one write per vote)".into(),
        "one UpdateItem ADD per driver per batch of 100".into(),
    ]);

    let transactions = CallFaults::<TransactWriteItemsInput>::counting();
    let client = dynamodb_with(transactions.clone());
    let tables = day07_one_vote_per_user_solution::Tables {
        votes: unique_name("bench-votes"),
        results: unique_name("bench-results"),
    };
    day07_one_vote_per_user_solution::create_tables(&dynamodb(), &tables).await.unwrap();
    for batch in &batches {
        day07_one_vote_per_user_solution::handle(&client, &tables, batch.clone()).await.unwrap();
    }
    rows.push([
        "DynamoDB requests per 1,000 votes, day 07 (one vote per fan)".into(),
        transactions.calls().to_string(),
        "2,000 (separate dedupe + count consumers)".into(),
        "one 2-write transaction per vote, duplicates never counted".into(),
    ]);
}

/// Milliseconds from starting `program` under the local Lambda Runtime API
/// to its answer to `event`; the function's output goes to `log`.
async fn time_cold_start(
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    event: KinesisEvent,
    log: &Path,
) -> f64 {
    let function = RuntimeApiProcess::start("record-votes", program, env, Duration::from_secs(60))
        .await
        .expect("a local Runtime API")
        .args(args)
        .log_to(log);
    // The first invocation starts the process: a cold start.
    let started = Instant::now();
    function.invoke(event).await.unwrap_or_else(|error| {
        panic!("{} handled no event: {error} (its output: {})", program.display(), log.display())
    });
    started.elapsed().as_secs_f64() * 1000.0
}

async fn cold_start(root: &Path, out: &Path, rows: &mut Vec<[String; 4]>) {
    let tables = day09_failures_and_retries_solution::Tables {
        votes: unique_name("bench-cold-votes"),
        results: unique_name("bench-cold-results"),
        dead_letters: unique_name("bench-cold-dead"),
    };
    day09_failures_and_retries_solution::create_tables(&dynamodb(), &tables).await.unwrap();
    let env = [
        ("VOTES_TABLE", tables.votes.as_str()),
        ("RESULTS_TABLE", tables.results.as_str()),
        ("DEAD_LETTERS_TABLE", tables.dead_letters.as_str()),
    ];
    let (binary, zip) = packaged_bootstrap(root, out, "reliable-votes-solution");
    let python = root.join(".tools/venv/bin/python");
    let script = root.join("bench/python_cold_start.py");
    let log = out.join("cold-start.log");
    let (mut rust, mut py) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let event: KinesisEvent = serde_json::from_str(&vote_batch(1)).expect("a batch");
        rust.push(time_cold_start(&binary, &[], &env, event.clone(), &log).await);
        let args = [script.to_str().expect("a UTF-8 path")];
        py.push(time_cold_start(&python, &args, &env, event, &log).await);
    }
    let megabytes =
        |file: &Path| std::fs::metadata(file).map_or(0, |m| m.len()) as f64 / 1_048_576.0;
    rows.push([
        "cold start: process start → first batch handled (DynamoDB transaction included)".into(),
        format!("{:.0} ms", percentile(rust, 0.5)),
        format!("Python + boto3 {:.0} ms", percentile(py, 0.5)),
        format!(
            "median of 5; the packaged record-votes `bootstrap` (day 09): {:.1} MB, zip {:.1} MB",
            megabytes(&binary),
            megabytes(&zip)
        ),
    ]);
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"))
}

/// The `bootstrap` of a function's zip from `just package`, unzipped into
/// `out`; and the zip.
fn packaged_bootstrap(root: &Path, out: &Path, binary: &str) -> (PathBuf, PathBuf) {
    let zip = target_dir(root).join("lambda/x86_64").join(binary).join("bootstrap.zip");
    assert!(zip.exists(), "{} is missing: `just bench` runs `just package` first", zip.display());
    let folder = out.join(binary);
    let unzipped = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&zip)
        .arg(&folder)
        .status()
        .expect("python3 unzips");
    assert!(unzipped.success(), "unzipping {}", zip.display());
    let bootstrap = folder.join("bootstrap");
    // Lambda runs the file as it is in the zip; Python's unzip drops the mode.
    let mut permissions = std::fs::metadata(&bootstrap).expect("a bootstrap").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&bootstrap, permissions).expect("making it executable");
    (bootstrap, zip)
}

async fn end_to_end(root: &Path, rows: &mut Vec<[String; 4]>) {
    let system = pitlane_demo::System::start(root, 0).await.expect("the demo system");
    let report = pitlane_demo::crowd::send(&system.url, 1000, 32, 99).await;
    let sent_at = Instant::now();
    system.wait_for(report.accepted as u64, Duration::from_secs(120)).await.unwrap();
    let drained = sent_at.elapsed();
    let counted: u64 = system.counts().await.unwrap().values().sum();
    assert_eq!(counted, pitlane_demo::crowd::fans(&report.expected));
    rows.push([
        "end to end: 1,000 votes over HTTP (32 in flight) through gateway, stream, consumer".into(),
        format!("{:.0} votes/s", report.sent as f64 / report.elapsed.as_secs_f64()),
        "–".into(),
        format!(
            "all counted {:.1} s after the last vote; emulators bound it",
            drained.as_secs_f64()
        ),
    ]);

    // Latency: one vote at a time, until the results show it.
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
    let url = format!("{}/vote", system.url);
    let mut latencies = Vec::new();
    for n in 0..30 {
        let before: u64 = system.counts().await.unwrap().values().sum();
        let token = sign_in(&client, &system.url, &format!("latency-fan-{n}")).await.unwrap();
        let started = Instant::now();
        assert!(post_vote(&client, &url, "VER", &token).await, "vote refused");
        loop {
            let now: BTreeMap<String, u64> = system.counts().await.unwrap();
            if now.values().sum::<u64>() > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    rows.push([
        "vote → count visible in Results (latency)".into(),
        format!(
            "p50 {:.0} ms, p95 {:.0} ms",
            percentile(latencies.clone(), 0.5),
            percentile(latencies, 0.95)
        ),
        "–".into(),
        "the event-source mapping polls every 200 ms here (about 1 s on AWS)".into(),
    ]);
    system.stop().await.unwrap();
}
