//! # The reliability suite
//!
//! Kinesis delivers at least once, Lambda retries whole batches, DynamoDB
//! throttles, clients send nonsense and processes die. This program proves,
//! against the local backend, that the project's own solutions survive all
//! of it without losing or double-counting anything:
//!
//! 1. **replay** — every consumer processes every recorded batch twice;
//! 2. **poison** — one bad record in each batch of 100 is set aside with its
//!    reason, the other 99 are counted, the next batch goes on;
//! 3. **faults** — a quarter of all DynamoDB calls throttled, failed or
//!    answered with a lost reply, through the event-source mapping;
//! 4. **bad input** — malformed `POST /vote` requests over HTTP;
//! 5. **crash** — the consumer's process killed (SIGKILL) mid-batch and
//!    started again.
//!
//! Each check prints what it saw; the last line sums it up. Day 06's naive
//! counter is replayed too, as a control: it *must* count a replayed batch
//! twice (day 07 exists because of it), which shows the comparison can see
//! a double count.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use day09_failures_and_retries_solution::RetryPolicy;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lambda_runtime::LambdaEvent;
use pitlane::lambda::{KinesisEvent, KinesisEventRecord, batch};
use pitlane_esm::{
    EsmConfig, EsmReport, InProcess, Invoke, RuntimeApiProcess, run_until_caught_up,
};
use pitlane_testkit::{
    Call, ExpectedVotes, FaultProxy, ProxyStats, Reply, all_records, dynamodb, expected_votes,
    fixture_batches, random_faults, read_all, scan_all, stream_holding, table_state, unique_name,
    vote_counts,
};
use serde_json::Value;

use day09_failures_and_retries_solution as day09;

/// What the checks add up to.
#[derive(Default)]
struct Figures {
    batches_replayed: usize,
    records_processed: u64,
    calls: u64,
    faults: u64,
    bad_inputs: usize,
    crashes: u32,
    lost: u64,
    double: u64,
    control_double: u64,
}

impl Figures {
    /// Adds what one consumer run gave.
    fn add(&mut self, lost: u64, double: u64, processed: u64) {
        self.lost += lost;
        self.double += double;
        self.records_processed += processed;
    }

    /// Adds what a fault proxy did.
    fn add_proxy(&mut self, stats: &ProxyStats) {
        self.calls += stats.calls;
        self.faults += stats.faults();
    }
}

type Outcome = Result<String, String>;

fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(message()) }
}

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().any(|arg| arg == "--list") {
        // `cargo test -- --list` asks for test names: this program is one.
        println!("reliability: test");
        return ExitCode::SUCCESS;
    }
    let mut figures = Figures::default();
    let mut failed = 0;
    println!("\nreliability suite");
    for (name, outcome) in [
        ("replay", replay(&mut figures).await),
        ("poison", poison(&mut figures).await),
        ("faults", faults(&mut figures).await),
        ("bad input", bad_input(&mut figures).await),
        ("burst", burst(&mut figures).await),
        ("crash", crash(&mut figures, Consumer::Day09).await),
        ("crash", crash(&mut figures, Consumer::Day11).await),
    ] {
        match outcome {
            Ok(what) => println!("  ✔ {name:<10} {what}"),
            Err(why) => {
                failed += 1;
                println!("  ✘ {name:<10} {why}");
            }
        }
    }
    let f = &figures;
    println!(
        "\nreliability: {} batches replayed · {} records processed · {} faults injected in {} \
         DynamoDB calls ({:.0}%) · {} bad inputs tried · {} crashes · records lost = {} · double \
         counts = {} (control: day 06 double-counted {} votes, as designed)",
        f.batches_replayed,
        f.records_processed,
        f.faults,
        f.calls,
        100.0 * f.faults as f64 / f.calls.max(1) as f64,
        f.bad_inputs,
        f.crashes,
        f.lost,
        f.double,
        f.control_double,
    );
    if failed > 0 || f.lost > 0 || f.double > 0 {
        println!("reliability: {failed} check(s) failed\n");
        return ExitCode::FAILURE;
    }
    println!();
    ExitCode::SUCCESS
}

// ─── expectations, worked out independently of the solutions ────────────

/// Votes missing and votes counted too often, comparing two tallies.
fn lost_and_double(expected: &BTreeMap<String, u64>, actual: &BTreeMap<String, u64>) -> (u64, u64) {
    let drivers: HashSet<&String> = expected.keys().chain(actual.keys()).collect();
    drivers.into_iter().fold((0, 0), |(lost, double), driver| {
        let want = expected.get(driver).copied().unwrap_or(0);
        let got = actual.get(driver).copied().unwrap_or(0);
        (lost + want.saturating_sub(got), double + got.saturating_sub(want))
    })
}

async fn counts(table: &str) -> BTreeMap<String, u64> {
    vote_counts(&dynamodb(), table).await
}

/// A table's items as sorted JSON, without `updatedAt` (the time of the
/// last count, not part of the state).
async fn state(table: &str) -> Vec<String> {
    table_state(&dynamodb(), table, &["updatedAt"]).await
}

/// Each fan's first valid vote per driver, and how many records are not
/// valid votes, by day 09's rules.
fn expectations(records: &[KinesisEventRecord]) -> (BTreeMap<String, u64>, usize) {
    let ExpectedVotes { counts, invalid } = expected_votes(records, day09::MAX_VOTE_BYTES);
    (counts, invalid.len())
}

fn day09_tables(prefix: &str) -> day09::Tables {
    day09::Tables {
        votes: unique_name(&format!("{prefix}-votes")),
        results: unique_name(&format!("{prefix}-results")),
        dead_letters: unique_name(&format!("{prefix}-dead")),
    }
}

fn day07_tables(prefix: &str) -> day07_one_vote_per_user_solution::Tables {
    day07_one_vote_per_user_solution::Tables {
        votes: unique_name(&format!("{prefix}-votes")),
        results: unique_name(&format!("{prefix}-results")),
    }
}

/// Day 07's handler as the function an event-source mapping invokes.
fn record_votes(
    client: aws_sdk_dynamodb::Client,
    tables: day07_one_vote_per_user_solution::Tables,
) -> Arc<dyn Invoke> {
    Arc::new(InProcess::new(
        "record-votes",
        Duration::from_secs(30),
        move |event: LambdaEvent<KinesisEvent>| {
            let (client, tables) = (client.clone(), tables.clone());
            async move {
                day07_one_vote_per_user_solution::handle(&client, &tables, event.payload).await
            }
        },
    ))
}

/// Day 09's handler as the function an event-source mapping invokes.
fn reliable_votes(consumer: day09::Consumer) -> Arc<dyn Invoke> {
    let consumer = Arc::new(consumer);
    Arc::new(InProcess::new(
        "reliable-votes",
        Duration::from_secs(30),
        move |event: LambdaEvent<KinesisEvent>| {
            let consumer = consumer.clone();
            async move {
                Ok::<_, std::convert::Infallible>(day09::handle(&consumer, event.payload).await)
            }
        },
    ))
}

/// Runs an event-source mapping over `stream` until it has caught up.
async fn drain(stream: &str, function: Arc<dyn Invoke>, report_failures: bool) -> EsmReport {
    let config = EsmConfig {
        report_batch_item_failures: report_failures,
        maximum_retry_attempts: Some(10_000),
        retry_delay: Duration::ZERO,
        function_timeout: Duration::from_secs(60),
        ..EsmConfig::new(stream)
    };
    run_until_caught_up(&pitlane_testkit::kinesis(), &config, function)
        .await
        .expect("the event-source mapping runs")
}

// ─── 1. replay ───────────────────────────────────────────────────────────

async fn replay(figures: &mut Figures) -> Outcome {
    let client = dynamodb();
    let (sensors, votes) = (fixture_batches("sensors"), fixture_batches("votes"));
    let mut report = Vec::new();

    // Day 04: EventLogs, one item per record with an id derived from it.
    let table = unique_name("rel-replay-04");
    day04_event_logs_solution::create_table(&client, &table).await.map_err(|e| e.to_string())?;
    let mut passes = Vec::new();
    for _ in 0..2 {
        for batch in &sensors {
            day04_event_logs_solution::handle(&client, &table, batch.clone())
                .await
                .map_err(|e| format!("day 04: {e}"))?;
        }
        passes.push(state(&table).await);
    }
    let records = sensors.iter().map(|b| b.records.len()).sum::<usize>();
    check(passes[0] == passes[1], || "day 04: the second pass changed EventLogs".into())?;
    check(passes[0].len() == records, || {
        format!("day 04: {} items for {records} records", passes[0].len())
    })?;
    report.push(format!("04: {records} items both times"));

    // Day 07 and day 09: vote tables.
    let (expected, poison) = expectations(&all_records("votes").records);
    let tables07 = day07_tables("rel-replay-07");
    day07_one_vote_per_user_solution::create_tables(&client, &tables07)
        .await
        .map_err(|e| e.to_string())?;
    let tables09 = day09_tables("rel-replay-09");
    day09::create_tables(&client, &tables09).await.map_err(|e| e.to_string())?;
    let consumer = day09::Consumer {
        client: client.clone(),
        tables: tables09.clone(),
        retry: RetryPolicy::default(),
    };
    let mut passes07 = Vec::new();
    let mut passes09 = Vec::new();
    for _ in 0..2 {
        for batch in &votes {
            day07_one_vote_per_user_solution::handle(&client, &tables07, batch.clone())
                .await
                .map_err(|e| format!("day 07: {e}"))?;
            day09::handle(&consumer, batch.clone()).await;
        }
        passes07.push((state(&tables07.votes).await, state(&tables07.results).await));
        passes09.push((
            state(&tables09.votes).await,
            state(&tables09.results).await,
            state(&tables09.dead_letters).await,
        ));
    }
    check(passes07[0] == passes07[1], || "day 07: the second pass changed a table".into())?;
    check(passes09[0] == passes09[1], || "day 09: the second pass changed a table".into())?;
    for (day, results) in [("07", &tables07.results), ("09", &tables09.results)] {
        let (lost, double) = lost_and_double(&expected, &counts(results).await);
        figures.add(lost, double, 0);
        check(lost == 0 && double == 0, || format!("day {day}: {lost} lost, {double} double"))?;
    }
    check(passes09[0].2.len() == poison, || {
        format!("day 09: {} dead letters for {poison} bad records", passes09[0].2.len())
    })?;
    let fans: u64 = expected.values().sum();
    report.push(format!("07: {fans} fans counted both times"));
    report.push(format!("09: {fans} fans and {poison} dead letters both times"));

    // Day 06, the control: a plain ADD counts a replayed batch again.
    let table = unique_name("rel-replay-06");
    day06_count_votes_solution::create_table(&client, &table).await.map_err(|e| e.to_string())?;
    let mut totals = Vec::new();
    for _ in 0..2 {
        for batch in &votes {
            day06_count_votes_solution::handle(&client, &table, batch.clone())
                .await
                .map_err(|e| format!("day 06: {e}"))?;
        }
        totals.push(counts(&table).await.values().sum::<u64>());
    }
    let control = totals[1] - totals[0];
    check(control == totals[0], || {
        format!(
            "day 06 (control): expected the replay to double its {} votes, got {control} more",
            totals[0]
        )
    })?;
    report.push(format!("06 (control): {control} votes counted twice, detected"));

    // Replayed: the sensor batches by day 04, the vote batches by days 06, 07 and 09.
    let vote_records = votes.iter().map(|b| b.records.len()).sum::<usize>();
    figures.batches_replayed += sensors.len() + 3 * votes.len();
    figures.add(0, 0, 2 * (records + 3 * vote_records) as u64);
    figures.control_double += control;
    Ok(report.join(" · "))
}

// ─── 2. poison ───────────────────────────────────────────────────────────

/// A record as a producer would put it: a partition key and some bytes.
fn record(key: &str, data: &[u8]) -> KinesisEventRecord {
    let mut record = KinesisEventRecord::default();
    record.kinesis.partition_key = key.to_owned();
    record.kinesis.data.extend_from_slice(data);
    record
}

/// Bad records of every kind a vote stream can carry.
fn poison_kinds() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("not JSON", b"NOR please!".to_vec()),
        ("wrong types", br#"{"vote":44,"user":true,"votedAt":"yesterday"}"#.to_vec()),
        (
            "unknown driver",
            br#"{"vote":"XYZ","user":"fan-9001","votedAt":"2026-07-05T15:33:00Z"}"#.to_vec(),
        ),
        ("oversized", vec![b'{'; 4096]),
        ("empty", Vec::new()),
    ]
}

async fn poison(figures: &mut Figures) -> Outcome {
    // Five batches of 100 on one shard; in each, record 50 is poison.
    let kinds = poison_kinds();
    let mut records = Vec::new();
    for (batch, (_, bad)) in kinds.iter().enumerate() {
        for n in 0..100 {
            let fan = format!("fan-p{batch}{n:02}");
            if n == 50 {
                records.push(record(&fan, bad));
            } else {
                let driver = &pitlane::votes::grid()[n % 20].id;
                let vote = format!(
                    r#"{{"vote":"{driver}","user":"{fan}","votedAt":"2026-07-05T15:33:00Z"}}"#
                );
                records.push(record(&fan, vote.as_bytes()));
            }
        }
    }
    let (_, stream) = stream_holding(&batch(records.clone()), 1, "rel-poison").await;
    let tables = day09_tables("rel-poison");
    day09::create_tables(&dynamodb(), &tables).await.map_err(|e| e.to_string())?;
    let function = reliable_votes(day09::Consumer {
        client: dynamodb(),
        tables: tables.clone(),
        retry: RetryPolicy::default(),
    });

    let report = drain(&stream, function, true).await;

    let (expected, _) = expectations(&records);
    let (lost, double) = lost_and_double(&expected, &counts(&tables.results).await);
    let letters = scan_all(&dynamodb(), &tables.dead_letters).await;
    let missing_letters = (kinds.len() as u64).saturating_sub(letters.len() as u64);
    figures.add(lost + missing_letters, double, report.records_succeeded);
    check(report.records_succeeded == 500 && report.records_given_up == 0, || {
        format!(
            "{} of 500 records processed, {} given up",
            report.records_succeeded, report.records_given_up
        )
    })?;
    check(report.invocations == 5, || {
        format!("{} invocations for 5 batches: poison caused retries", report.invocations)
    })?;
    check(lost == 0 && double == 0, || format!("{lost} votes lost, {double} counted twice"))?;
    check(letters.len() == kinds.len(), || {
        format!("{} dead letters, not {}", letters.len(), kinds.len())
    })?;
    let reasons: Vec<&str> = letters.iter().map(|l| l["reason"].as_s().unwrap().as_str()).collect();
    check(reasons.iter().all(|r| r.len() > 10), || format!("reasons too vague: {reasons:?}"))?;
    Ok(format!(
        "5 batches of 100, 1 bad record each ({}): 495 counted, 5 dead letters with reasons, 5 invocations",
        kinds.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
    ))
}

// ─── 3. faults ───────────────────────────────────────────────────────────

async fn faults(figures: &mut Figures) -> Outcome {
    let mut report = Vec::new();

    // Day 04 (no ReportBatchItemFailures: a failed call fails the batch).
    let sensors = all_records("sensors");
    let (_, stream) = stream_holding(&sensors, 2, "rel-faults-04").await;
    let table = unique_name("rel-faults-04");
    day04_event_logs_solution::create_table(&dynamodb(), &table)
        .await
        .map_err(|e| e.to_string())?;
    let proxy = FaultProxy::dynamodb_with(random_faults(4, 0.25)).await;
    let client = proxy.dynamodb(2);
    let function = {
        let table = table.clone();
        InProcess::new(
            "event-logs",
            Duration::from_secs(30),
            move |event: LambdaEvent<KinesisEvent>| {
                let (client, table) = (client.clone(), table.clone());
                async move { day04_event_logs_solution::handle(&client, &table, event.payload).await }
            },
        )
    };
    let esm = drain(&stream, Arc::new(function), false).await;
    let items = scan_all(&dynamodb(), &table).await.len() as u64;
    let records = sensors.records.len() as u64;
    let stats = proxy.stats();
    figures.add_proxy(&stats);
    figures.add(
        records.saturating_sub(items),
        items.saturating_sub(records),
        esm.records_succeeded,
    );
    check(items == records && esm.records_given_up == 0, || {
        format!("day 04: {items} items for {records} records")
    })?;
    report.push(format!(
        "04: {}/{} calls faulted, {} invocations, {items}/{records} stored",
        stats.faults(),
        stats.calls,
        esm.invocations
    ));

    // Day 07 and day 09 (ReportBatchItemFailures).
    let client = dynamodb();
    let tables07 = day07_tables("rel-faults-07");
    day07_one_vote_per_user_solution::create_tables(&client, &tables07)
        .await
        .map_err(|e| e.to_string())?;
    report.push(
        votes_under_faults(figures, "07", 7, &tables07.results, |faulty| {
            record_votes(faulty, tables07.clone())
        })
        .await?,
    );
    let tables09 = day09_tables("rel-faults-09");
    day09::create_tables(&client, &tables09).await.map_err(|e| e.to_string())?;
    report.push(
        votes_under_faults(figures, "09", 9, &tables09.results, |faulty| {
            let retry = RetryPolicy::immediate(3);
            reliable_votes(day09::Consumer { client: faulty, tables: tables09.clone(), retry })
        })
        .await?,
    );
    let (_, poison) = expectations(&all_records("votes").records);
    let letters = scan_all(&client, &tables09.dead_letters).await.len();
    check(letters == poison, || format!("day 09: {letters} dead letters, not {poison}"))?;

    let (faults, calls) = (figures.faults, figures.calls);
    check(faults * 5 >= calls, || format!("only {faults} faults in {calls} calls"))?;
    Ok(report.join(" · "))
}

/// Runs a vote consumer over the recorded votes through the event-source
/// mapping with a quarter of its DynamoDB calls faulted (reproducibly, from
/// `seed`), and checks the counts in `results`. `consumer` makes the function
/// from the client whose calls are faulted.
async fn votes_under_faults(
    figures: &mut Figures,
    day: &str,
    seed: u64,
    results: &str,
    consumer: impl FnOnce(aws_sdk_dynamodb::Client) -> Arc<dyn Invoke>,
) -> Outcome {
    let votes = all_records("votes");
    let (expected, _) = expectations(&votes.records);
    let (_, stream) = stream_holding(&votes, 2, &format!("rel-faults-{day}")).await;
    let proxy = FaultProxy::dynamodb_with(random_faults(seed, 0.25)).await;
    let esm = drain(&stream, consumer(proxy.dynamodb(2)), true).await;
    let stats = proxy.stats();
    figures.add_proxy(&stats);
    let (lost, double) = lost_and_double(&expected, &counts(results).await);
    figures.add(lost, double, esm.records_succeeded);
    check(lost == 0 && double == 0 && esm.records_given_up == 0, || {
        format!("day {day}: {lost} votes lost, {double} counted twice")
    })?;
    Ok(format!(
        "{day}: {}/{} calls faulted, {} invocations, exact counts",
        stats.faults(),
        stats.calls,
        esm.invocations
    ))
}

// ─── 4. bad input ────────────────────────────────────────────────────────

/// A request to send: (what it is, method, headers, body).
type BadRequest = (&'static str, &'static str, Vec<(&'static str, String)>, Vec<u8>);

/// Malformed `POST /vote` requests. Most come from a signed-in fan (`token`),
/// so that they reach the vote API and test its checks, not the gateway's.
fn bad_requests(token: &str) -> Vec<BadRequest> {
    let json = || ("content-type", "application/json".to_owned());
    let fan = || ("authorization", format!("Bearer {token}"));
    let post = |what, body: &[u8]| (what, "POST", vec![json(), fan()], body.to_vec());
    let mut deep = "[".repeat(300);
    deep.push_str(&"]".repeat(300));
    let utf16: Vec<u8> = r#"{"vote":"NOR"}"#.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    vec![
        post("not JSON", b"vote=NOR"),
        post("empty body", b""),
        post("JSON array", br#"["NOR"]"#),
        post("JSON string", br#""NOR""#),
        post("empty object", b"{}"),
        post("vote is a number", br#"{"vote":44}"#),
        post("vote is null", br#"{"vote":null}"#),
        post("vote is an array", br#"{"vote":["NOR"]}"#),
        post("vote is an object", br#"{"vote":{"id":"NOR"}}"#),
        post("unknown driver", br#"{"vote":"XYZ"}"#),
        post("empty vote", br#"{"vote":""}"#),
        post("look-alike driver", "{\"vote\":\"N\u{00d8}R\"}".as_bytes()),
        post("injection attempt", br#"{"vote":"NOR' OR '1'='1"}"#),
        post("a user in the body", br#"{"vote":"NOR","user":"fan-0001"}"#),
        post("vote given twice", br#"{"vote":"NOR","vote":"VER"}"#),
        post("truncated JSON", br#"{"vote":"NO"#),
        post("trailing garbage", br#"{"vote":"NOR"} and more"#),
        post("not UTF-8", &[0x7b, 0xff, 0xfe, 0x7d]),
        post("UTF-16", &utf16),
        post("byte-order mark", "\u{feff}{\"vote\":\"NOR\"}".as_bytes()),
        post("deeply nested", deep.as_bytes()),
        post("over 1 KiB", format!(r#"{{"vote":"NOR","pad":"{}"}}"#, "x".repeat(2000)).as_bytes()),
        post("60 KB", &vec![b' '; 60_000]),
        ("no content type", "POST", vec![fan()], br#"{"vote":"NOR"}"#.to_vec()),
        (
            "text/plain",
            "POST",
            vec![("content-type", "text/plain".to_owned()), fan()],
            br#"{"vote":"NOR"}"#.to_vec(),
        ),
        (
            "XML",
            "POST",
            vec![("content-type", "application/xml".to_owned()), fan()],
            b"<vote>NOR</vote>".to_vec(),
        ),
        ("nobody signed in", "POST", vec![json()], br#"{"vote":"NOR"}"#.to_vec()),
        (
            "the demo header, not a token",
            "POST",
            vec![json(), ("x-pitlane-user", "fan-bad".to_owned())],
            br#"{"vote":"NOR"}"#.to_vec(),
        ),
        (
            "a forged token",
            "POST",
            vec![json(), ("authorization", "Bearer e30.e30.AAAA".to_owned())],
            br#"{"vote":"NOR"}"#.to_vec(),
        ),
        ("GET", "GET", vec![json(), fan()], Vec::new()),
        ("PUT", "PUT", vec![json(), fan()], br#"{"vote":"NOR"}"#.to_vec()),
        ("DELETE", "DELETE", vec![json(), fan()], Vec::new()),
        ("PATCH", "PATCH", vec![json(), fan()], br#"{"vote":"NOR"}"#.to_vec()),
    ]
}

/// The gateway's own refusals, worded as API Gateway's HTTP API words them.
const GATEWAY_MESSAGES: [&str; 3] = ["Not Found", "Unauthorized", "Request Entity Too Large"];

async fn send(
    client: &HttpClient<HttpConnector, Full<Bytes>>,
    url: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<(u16, Value), String> {
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

async fn bad_input(figures: &mut Figures) -> Outcome {
    let root = pitlane_testkit::workspace_root();
    let system = pitlane_demo::System::start(&root, 0).await.map_err(|e| format!("{e:#}"))?;
    let url = format!("{}/vote", system.url);
    let client = HttpClient::builder(TokioExecutor::new()).build_http();
    let token = pitlane_demo::crowd::sign_in(&client, &system.url, "fan-bad")
        .await
        .ok_or("the local identity provider gave no token")?;
    let requests = bad_requests(&token);
    let mut problems = Vec::new();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for (what, method, headers, body) in &requests {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        match send(&client, &url, method, &headers, body.clone()).await {
            Ok((status, json)) => {
                let message = json["message"].as_str().unwrap_or_default();
                let says_why = message.len() >= 10 || GATEWAY_MESSAGES.contains(&message);
                *statuses.entry(status).or_default() += 1;
                if !(400..500).contains(&status) || !says_why {
                    problems.push(format!("{what}: {status} {json}"));
                }
            }
            Err(error) => problems.push(format!("{what}: {error}")),
        }
    }
    figures.bad_inputs += requests.len();
    let written = read_all(&pitlane_testkit::kinesis(), &system.names.stream).await.len();

    // And the system is alive: one good vote goes through to the count.
    let good_token = pitlane_demo::crowd::sign_in(&client, &system.url, "fan-good")
        .await
        .ok_or("the local identity provider gave no token")?;
    let good = send(
        &client,
        &url,
        "POST",
        &[("content-type", "application/json"), ("authorization", &format!("Bearer {good_token}"))],
        br#"{"vote":"NOR"}"#.to_vec(),
    )
    .await?;
    let alive = system.wait_for(1, Duration::from_secs(30)).await.is_ok();
    let counted = system.counts().await.map_err(|e| e.to_string())?;
    system.stop().await.map_err(|e| e.to_string())?;

    check(problems.is_empty(), || problems.join("; "))?;
    // The gateway refuses the unsigned (3) and the unrouted (4); the rest
    // reach the vote API and are refused by its own checks.
    check(statuses.get(&401) == Some(&3) && statuses.get(&404) == Some(&4), || {
        format!("answers by status: {statuses:?}")
    })?;
    check(written == 0, || format!("{written} records written by refused requests"))?;
    check(good.0 == 202 && alive && counted == BTreeMap::from([("NOR".to_owned(), 1)]), || {
        format!("a good vote after them: {good:?}, counted {counted:?}")
    })?;
    Ok(format!(
        "{} malformed requests over HTTP: each a 4xx with a message, 0 records written; a good vote after them counted",
        requests.len()
    ))
}

// ─── 5. burst ────────────────────────────────────────────────────────────

/// The race's end, small: 600 votes at once, 60 % for one driver, through
/// the gateway (throttled past its burst of 200), a 4-shard stream, the
/// mapping and day 11's consumer, on the throttling backend.
async fn burst(figures: &mut Figures) -> Outcome {
    let root = pitlane_testkit::workspace_root();
    let system =
        pitlane_demo::System::start_with_shards(&root, 0, 4).await.map_err(|e| format!("{e:#}"))?;
    let votes = pitlane_demo::crowd::crowd_votes(600, Some(0.6), 11);
    let report = pitlane_demo::crowd::send_votes(&system.url, votes, 64).await;
    let waited = system.wait_for(report.accepted as u64, Duration::from_secs(120)).await;
    let counted = system.counts().await.map_err(|e| e.to_string())?;
    let esm = system.mapping_report();
    system.stop().await.map_err(|e| e.to_string())?;
    waited.map_err(|e| e.to_string())?;
    let (lost, double) = pitlane_demo::crowd::lost_and_doubled(&report.expected, &counted);
    figures.add(lost, double, esm.records_succeeded);
    check(report.accepted == 600, || format!("{} of 600 votes accepted", report.accepted))?;
    check(lost == 0 && double == 0, || format!("{lost} votes lost, {double} counted twice"))?;
    Ok(format!(
        "600 votes at once, 60 % for one driver, 4 shards: exact counts, {} throttled answers sent again, largest iterator age {:.1} s",
        report.throttled,
        esm.max_iterator_age_ms as f64 / 1000.0
    ))
}

// ─── 6. crash ────────────────────────────────────────────────────────────

/// The two exactly-once consumers, as the Lambda binaries they ship as.
#[derive(Clone, Copy)]
enum Consumer {
    /// Day 09: one transaction per vote, in order.
    Day09,
    /// Day 11: concurrent conditional puts, then a transaction per group.
    Day11,
}

impl Consumer {
    fn binary(self) -> (&'static str, &'static str) {
        match self {
            Self::Day09 => ("reliable-votes", env!("CARGO_BIN_EXE_reliable-votes")),
            Self::Day11 => ("keep-up-votes", env!("CARGO_BIN_EXE_keep-up-votes")),
        }
    }

    /// The calls during which the process is killed, counted across
    /// processes: (operation, the how-manieth call of that operation).
    /// Day 09 makes one transaction per vote: mid-batch, three times. Day 11
    /// is killed in each of its steps: among a batch's concurrent puts, right
    /// after a batch's puts and before its count, and inside a count.
    fn kill_at(self) -> HashSet<(&'static str, u64)> {
        match self {
            Self::Day09 => HashSet::from([
                ("TransactWriteItems", 40),
                ("TransactWriteItems", 170),
                ("TransactWriteItems", 290),
            ]),
            Self::Day11 => HashSet::from([
                ("PutItem", 30),
                ("TransactWriteItems", 2),
                ("PutItem", 260),
                ("TransactWriteItems", 5),
            ]),
        }
    }
}

async fn crash(figures: &mut Figures, consumer: Consumer) -> Outcome {
    let (name, binary) = consumer.binary();
    let votes = all_records("votes");
    let (expected, poison) = expectations(&votes.records);
    let (_, stream) = stream_holding(&votes, 2, "rel-crash").await;
    let tables = day09_tables("rel-crash");
    day09::create_tables(&dynamodb(), &tables).await.map_err(|e| e.to_string())?;

    // The process is killed while it makes these calls (counting across
    // processes): mid-batch, and right after a write was sent.
    let kill_at = consumer.kill_at();
    let kills = kill_at.len() as u32;
    let function: Arc<std::sync::OnceLock<Arc<RuntimeApiProcess>>> = Arc::default();
    let plan = {
        let function = function.clone();
        let mut calls: HashMap<String, u64> = HashMap::new();
        move |call: &Call| {
            let seen = calls.entry(call.operation.clone()).or_default();
            *seen += 1;
            if kill_at.contains(&(call.operation.as_str(), *seen)) {
                function.get().expect("the function runs").crash();
            }
            Reply::Forward
        }
    };
    let proxy = FaultProxy::dynamodb_with(plan).await;
    let log = std::env::temp_dir().join(format!("{}.log", unique_name("rel-crash")));
    let process = RuntimeApiProcess::start(
        name,
        binary,
        &[
            ("AWS_ENDPOINT_URL_DYNAMODB", proxy.url()),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", pitlane_testkit::REGION),
            (day09::VOTES_TABLE_ENV, &tables.votes),
            (day09::RESULTS_TABLE_ENV, &tables.results),
            (day09::DEAD_LETTERS_TABLE_ENV, &tables.dead_letters),
        ],
        Duration::from_secs(60),
    )
    .await
    .map_err(|e| e.to_string())?
    .log_to(&log);
    let process = Arc::new(process);
    let _ = function.set(process.clone());

    let esm = drain(&stream, process.clone(), true).await;

    let (lost, double) = lost_and_double(&expected, &counts(&tables.results).await);
    let letters = scan_all(&dynamodb(), &tables.dead_letters).await.len();
    let missing_letters = (poison as u64).saturating_sub(letters as u64);
    figures.add(lost + missing_letters, double, esm.records_succeeded);
    figures.crashes += process.crashes();
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();
    check(process.crashes() == kills && process.starts() == kills + 1, || {
        format!(
            "{} crashes, {} starts (log: {})",
            process.crashes(),
            process.starts(),
            log.display()
        )
    })?;
    let records = votes.records.len() as u64;
    check(esm.records_succeeded == records && esm.records_given_up == 0, || {
        format!("{} of {records} records processed:\n{}", esm.records_succeeded, logs())
    })?;
    check(lost == 0 && double == 0, || format!("{lost} votes lost, {double} counted twice"))?;
    check(letters == poison, || format!("{letters} dead letters, not {poison}"))?;
    let _ = std::fs::remove_file(&log);
    Ok(format!(
        "the {name} process killed {kills} times mid-batch and restarted: {} invocations, {records} records, exact counts, {poison} dead letters",
        esm.invocations
    ))
}
