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
//! 5. The vote consumers side by side: the same 100-vote batches through
//!    the sequential Python + boto3 design, day 09's sequential Rust
//!    consumer and day 11's concurrent one, each a process under the same
//!    local Runtime API, against a stub DynamoDB that answers every call
//!    after the same fixed 5 ms: votes per second per shard, the billed
//!    duration of a batch, and each process's peak memory.
//!
//! 6. The hot-driver event: 10,000 votes, 60 % for one driver, through the
//!    packaged consumer (`just package`'s `bootstrap`) under the local
//!    Runtime API, on the throttling local backend; redelivered from the
//!    reported record as the mapping would, until done. The counts must be
//!    exact; the time is moto's (one request at a time), not AWS's.
//!
//! `PITLANE_BENCH=consumers` runs part 5 alone (authors, while tuning it).
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

    if std::env::var("PITLANE_BENCH").as_deref() != Ok("consumers") {
        handler_core(&root, &out, &mut rows);
        runtime.block_on(requests_per_thousand_votes(&mut rows));
        runtime.block_on(cold_start(&root, &out, &mut rows));
        runtime.block_on(end_to_end(&root, &mut rows));
        runtime.block_on(hot_event(&root, &out, &mut rows));
    }
    runtime.block_on(consumers(&root, &out, &mut rows));

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
/// to its answer to `event`, and the process's peak memory then (KiB); the
/// function's output goes to `log`.
async fn time_cold_start(
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    event: KinesisEvent,
    log: &Path,
) -> (f64, Option<u64>) {
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
    (started.elapsed().as_secs_f64() * 1000.0, function.peak_rss_kib().await)
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
    let (binary, zip) = packaged_bootstrap(root, out, "keep-up-votes-solution");
    let python = root.join(".tools/venv/bin/python");
    let script = root.join("bench/python_cold_start.py");
    let log = out.join("cold-start.log");
    let (mut rust, mut py) = (Vec::new(), Vec::new());
    let (mut rust_rss, mut py_rss) = (None, None);
    for _ in 0..5 {
        let event: KinesisEvent = serde_json::from_str(&vote_batch(1)).expect("a batch");
        let (ms, rss) = time_cold_start(&binary, &[], &env, event.clone(), &log).await;
        rust.push(ms);
        rust_rss = rust_rss.max(rss);
        let args = [script.to_str().expect("a UTF-8 path")];
        let (ms, rss) = time_cold_start(&python, &args, &env, event, &log).await;
        py.push(ms);
        py_rss = py_rss.max(rss);
    }
    let mb =
        |kib: Option<u64>| kib.map_or("?".to_owned(), |k| format!("{:.1} MB", k as f64 / 1024.0));
    let megabytes =
        |file: &Path| std::fs::metadata(file).map_or(0, |m| m.len()) as f64 / 1_048_576.0;
    rows.push([
        "cold start: process start → first batch handled (DynamoDB transaction included)".into(),
        format!("{:.0} ms, peak memory {}", percentile(rust, 0.5), mb(rust_rss)),
        format!("Python + boto3 {:.0} ms, peak memory {}", percentile(py, 0.5), mb(py_rss)),
        format!(
            "median of 5; the packaged record-votes `bootstrap` (day 11): {:.1} MB, zip {:.1} MB; peak memory is the process's VmHWM after its first batch",
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
        "the template's 1 s batching window and the mapping's 1 s poll of an idle shard decide it, as on AWS".into(),
    ]);
    system.stop().await.unwrap();
}

// ─── 5. the vote consumers, side by side ────────────────────────────────

/// Every DynamoDB call's latency in the consumers' run, as on AWS within a
/// region (5–10 ms for a write).
const DYNAMODB_LATENCY: Duration = Duration::from_millis(5);

/// A stand-in for DynamoDB that answers every call with success (`{}`)
/// after [`DYNAMODB_LATENCY`], serving calls concurrently, as DynamoDB does.
/// The local moto serves one request at a time (about 2.6 ms each), which
/// would cap a concurrent consumer near 380 calls a second and decide this
/// comparison by itself; here every path meets the same latency and nothing
/// else. It models no table: every vote is accepted and counted, which is
/// each path's full work.
async fn stub_dynamodb() -> (String, tokio::sync::watch::Sender<bool>) {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                accepted = listener.accept() => match accepted { Ok(a) => a, Err(_) => continue },
                _ = stopped.changed() => return,
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |request: hyper::Request<hyper::body::Incoming>| async move {
                        let _ = request.into_body().collect().await;
                        tokio::time::sleep(DYNAMODB_LATENCY).await;
                        hyper::Response::builder()
                            .header("content-type", "application/x-amz-json-1.0")
                            .body(Full::new(Bytes::from_static(b"{}")))
                    },
                );
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    (url, stop)
}

/// What one consumer did with the batches.
struct ConsumerRun {
    /// Each batch's invocation, start to answer, in milliseconds.
    billed_ms: Vec<f64>,
    peak_rss_kib: Option<u64>,
}

/// Starts `program` under a local Runtime API, warms it with one batch (the
/// cold start is measured elsewhere), then times one invocation per batch.
async fn run_consumer(
    name: &str,
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    batches: &[KinesisEvent],
    log: &Path,
) -> ConsumerRun {
    let function = RuntimeApiProcess::start(name, program, env, Duration::from_secs(60))
        .await
        .expect("a local Runtime API")
        .args(args)
        .log_to(log);
    let mut billed_ms = Vec::new();
    for (n, event) in batches.iter().enumerate() {
        let started = Instant::now();
        let answer = function.invoke(event.clone()).await.unwrap_or_else(|error| {
            panic!("{name} failed a batch: {error} (its output: {})", log.display())
        });
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(answer["batchItemFailures"], serde_json::json!([]), "{name}: {answer}");
        if n > 0 {
            billed_ms.push(elapsed);
        }
    }
    ConsumerRun { billed_ms, peak_rss_kib: function.peak_rss_kib().await }
}

async fn consumers(root: &Path, out: &Path, rows: &mut Vec<[String; 4]>) {
    const BATCHES: usize = 20;
    let (url, _stop) = stub_dynamodb().await;
    let env = [
        ("AWS_ENDPOINT_URL_DYNAMODB", url.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("VOTES_TABLE", "bench-votes"),
        ("RESULTS_TABLE", "bench-results"),
        ("DEAD_LETTERS_TABLE", "bench-dead"),
        ("RUST_LOG", "warn"),
    ];
    // The same batches for every path: 100 votes each, from different fans,
    // a warm-up batch first.
    let all: KinesisEvent = serde_json::from_str(&vote_batch(100 * (BATCHES + 1))).expect("votes");
    let batches: Vec<KinesisEvent> =
        all.records.chunks(100).map(|chunk| batch(chunk.to_vec())).collect();
    let log = out.join("consumers.log");
    let python = root.join(".tools/venv/bin/python");
    let script = root.join("bench/python_consumer.py");
    let script = script.to_str().expect("a UTF-8 path");
    let runs = [
        (
            "Python + boto3, one transaction per vote (the source material's design)",
            run_consumer("python-votes", &python, &[script], &env, &batches, &log).await,
        ),
        (
            "Rust, day 09: one transaction per vote, in order",
            run_consumer(
                "reliable-votes",
                Path::new(env!("CARGO_BIN_EXE_bench-reliable-votes")),
                &[],
                &env,
                &batches,
                &log,
            )
            .await,
        ),
        (
            "Rust, day 11: lanes of puts, then one count per driver per transaction",
            run_consumer(
                "keep-up-votes",
                Path::new(env!("CARGO_BIN_EXE_bench-keep-up-votes")),
                &[],
                &env,
                &batches,
                &log,
            )
            .await,
        ),
    ];
    let median = |run: &ConsumerRun| percentile(run.billed_ms.clone(), 0.5);
    let sequential = median(&runs[0].1);
    let memory = |run: &ConsumerRun| {
        run.peak_rss_kib.map_or("peak memory unknown".to_owned(), |kib| {
            format!("peak memory {:.1} MB", kib as f64 / 1024.0)
        })
    };
    for (what, run) in &runs {
        let ms = median(run);
        rows.push([
            format!("vote consumer, 100-vote batches, 5 ms a DynamoDB call: {what}"),
            format!("{:.0} votes/s per shard, {ms:.1} ms billed per batch", 100_000.0 / ms),
            format!("{:.1}× the Python design", sequential / ms),
            format!(
                "median of {BATCHES} batches (p95 {:.1} ms); stub DynamoDB, see bench/RESULTS.md; {}",
                percentile(run.billed_ms.clone(), 0.95),
                memory(run)
            ),
        ]);
    }
}

// ─── 6. the hot-driver event through the packaged consumer ───────────────

async fn hot_event(root: &Path, out: &Path, rows: &mut Vec<[String; 4]>) {
    const VOTES: usize = 10_000;
    let votes = pitlane_demo::crowd::crowd_votes(VOTES, Some(0.6), 21);
    let source = pitlane::lambda::EventSource::for_stream(
        "arn:aws:kinesis:us-east-1:123456789012:stream/hot",
    );
    let records = votes
        .iter()
        .enumerate()
        .map(|(i, vote)| {
            let record = aws_sdk_kinesis::types::Record::builder()
                .sequence_number(format!("4968057689197816785171793810259171841268897080759{i:08}"))
                .partition_key(&vote.user)
                .data(aws_sdk_kinesis::primitives::Blob::new(serde_json::to_vec(vote).unwrap()))
                .approximate_arrival_timestamp(aws_sdk_kinesis::primitives::DateTime::from_millis(
                    1_783_265_520_000 + i as i64,
                ))
                .build()
                .unwrap();
            source.event_record("shardId-000000000000", &record)
        })
        .collect();
    let event = batch(records);
    let expected = pitlane_testkit::expected_votes(&event.records, 2048).counts;

    let tables = day09_failures_and_retries_solution::Tables {
        votes: unique_name("bench-hot-votes"),
        results: unique_name("bench-hot-results"),
        dead_letters: unique_name("bench-hot-dead"),
    };
    day09_failures_and_retries_solution::create_tables(&dynamodb(), &tables).await.unwrap();
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("the local backend");
    let env = [
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("VOTES_TABLE", tables.votes.as_str()),
        ("RESULTS_TABLE", tables.results.as_str()),
        ("DEAD_LETTERS_TABLE", tables.dead_letters.as_str()),
        ("RUST_LOG", "warn"),
    ];
    let (binary, _) = packaged_bootstrap(root, out, "keep-up-votes-solution");
    let function =
        RuntimeApiProcess::start("record-votes", &binary, &env, Duration::from_secs(900))
            .await
            .expect("a local Runtime API")
            .log_to(out.join("hot-event.log"));
    let started = Instant::now();
    let (mut next, mut invocations) = (event.clone(), 0);
    loop {
        invocations += 1;
        let answer = function.invoke(next.clone()).await.expect("the consumer answers");
        let Some(failed) = answer["batchItemFailures"][0]["itemIdentifier"].as_str() else { break };
        let from = next.records.iter().position(|r| r.kinesis.sequence_number == failed).unwrap();
        next = batch(next.records[from..].to_vec());
    }
    let seconds = started.elapsed().as_secs_f64();
    let counted = pitlane_testkit::vote_counts(&dynamodb(), &tables.results).await;
    assert_eq!(counted, expected, "the hot event's counts are exact");
    rows.push([
        "hot-driver event: 10,000 votes, 60 % for one driver, packaged day 11 consumer, throttling local backend".into(),
        format!("counts exact; {seconds:.1} s, {invocations} invocation(s)"),
        "–".into(),
        "moto serves one request at a time (about 2.6 ms each): its pace, not AWS's".into(),
    ]);
}
