//! The local event-source mapping against the local Kinesis: batches,
//! order, checkpoints, partial failures, bisection, retries, panics,
//! timeouts, the HTTP invoker and the background mode.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_sdk_kinesis::operation::get_records::{GetRecordsInput, GetRecordsOutput};
use aws_sdk_kinesis::operation::get_shard_iterator::GetShardIteratorInput;
use aws_sdk_kinesis::primitives::DateTime as SdkDateTime;
use lambda_runtime::LambdaEvent;
use pitlane::lambda::{KinesisEvent, batch};
use pitlane_esm::{
    EsmConfig, EventSourceMapping, FailureRecord, FunctionError, HttpInvoker, InProcess, Invoke,
    run_until_caught_up,
};
use pitlane_testkit::{
    CallFaults, EditOutput, all_records, kinesis, kinesis_with, replay, stream_holding, unique_name,
};

/// Every batch the handler saw: (shard, sequence numbers), in call order.
type Seen = Arc<Mutex<Vec<(String, Vec<String>)>>>;

fn remember(seen: &Seen, event: &KinesisEvent) {
    let shard = event.records[0].event_id.as_deref().unwrap().split(':').next().unwrap().to_owned();
    let seqs = event.records.iter().map(|r| r.kinesis.sequence_number.clone()).collect();
    seen.lock().unwrap().push((shard, seqs));
}

/// The 400 recorded votes, in one batch (two shards' worth).
fn all_votes() -> KinesisEvent {
    all_records("votes")
}

fn is_json(data: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(data).is_ok()
}

/// Fast settings for tests. Retries are bounded: a regression that makes a
/// handler fail then ends the run with records given up, which the test's
/// assertions see, instead of retrying until the test runner's timeout
/// (AWS's default is to retry until the record expires).
fn quick(stream: &str) -> EsmConfig {
    EsmConfig {
        retry_delay: Duration::ZERO,
        poll_interval: Duration::from_millis(50),
        maximum_retry_attempts: Some(5),
        ..EsmConfig::new(stream)
    }
}

/// A handler that remembers every batch and succeeds.
fn recording(seen: Seen) -> Arc<dyn Invoke> {
    Arc::new(InProcess::new(
        "recorder",
        Duration::from_secs(3),
        move |event: LambdaEvent<KinesisEvent>| {
            let seen = seen.clone();
            async move {
                remember(&seen, &event.payload);
                Ok::<_, FunctionError>(())
            }
        },
    ))
}

/// A handler that remembers every batch and, on its first invocation only,
/// reports the records at `failed` (places in that batch) as item failures.
fn failing_first_time(seen: Seen, failed: Vec<usize>) -> Arc<dyn Invoke> {
    Arc::new(InProcess::new(
        "fails-first",
        Duration::from_secs(3),
        move |event: LambdaEvent<KinesisEvent>| {
            let (seen, failed) = (seen.clone(), failed.clone());
            async move {
                remember(&seen, &event.payload);
                let mut response = KinesisEventResponse::default();
                if seen.lock().unwrap().len() == 1 {
                    for index in failed {
                        let id = event.payload.records[index].kinesis.sequence_number.clone();
                        response.add_failure(id);
                    }
                }
                Ok::<_, FunctionError>(response)
            }
        },
    ))
}

/// Sequence numbers delivered per shard, over every invocation, in order.
fn per_shard(seen: &Seen) -> BTreeMap<String, Vec<String>> {
    let mut shards: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (shard, seqs) in seen.lock().unwrap().iter() {
        shards.entry(shard.clone()).or_default().extend(seqs.iter().cloned());
    }
    shards
}

fn numeric_order(seqs: &[String]) -> bool {
    seqs.windows(2).all(|w| (w[0].len(), &w[0]) < (w[1].len(), &w[1]))
}

#[tokio::test]
async fn delivers_every_record_once_in_order_per_shard_in_batches_of_at_most_batch_size() {
    let (client, stream) = stream_holding(&all_votes(), 2, "esm-order").await;
    let seen = Seen::default();

    let config = EsmConfig { batch_size: 50, ..quick(&stream) };
    let report = run_until_caught_up(&client, &config, recording(seen.clone())).await.unwrap();

    let shards = per_shard(&seen);
    assert_eq!(shards.values().map(Vec::len).sum::<usize>(), 400);
    assert!(shards.values().all(|seqs| numeric_order(seqs)), "out of order or repeated");
    assert!(seen.lock().unwrap().iter().all(|(_, seqs)| !seqs.is_empty() && seqs.len() <= 50));
    assert_eq!(
        (report.records_delivered, report.records_succeeded, report.records_given_up),
        (400, 400, 0)
    );
    // The checkpoint of each shard is its last record.
    for (shard, seqs) in &shards {
        assert_eq!(report.checkpoints[shard], *seqs.last().unwrap());
    }
}

#[tokio::test]
async fn the_event_is_what_lambda_sends() {
    let (client, stream) = stream_holding(&all_votes(), 1, "esm-shape").await;
    // Kept and checked after the run: an assertion inside the handler would
    // only make the mapping retry the batch.
    let events: Arc<Mutex<Vec<(KinesisEvent, String, String)>>> = Arc::default();
    let kept = events.clone();
    let function =
        InProcess::new("shape", Duration::from_secs(3), move |event: LambdaEvent<KinesisEvent>| {
            let kept = kept.clone();
            async move {
                let context = event.context;
                kept.lock().unwrap().push((
                    event.payload,
                    context.request_id,
                    context.invoked_function_arn,
                ));
                Ok::<_, FunctionError>(())
            }
        });

    let report = run_until_caught_up(&client, &quick(&stream), Arc::new(function)).await.unwrap();

    assert_eq!(report.records_given_up, 0);
    let events = events.lock().unwrap();
    for (_, request_id, arn) in events.iter() {
        assert!(request_id.starts_with("pitlane-esm-"), "{request_id}");
        assert!(arn.ends_with(":function:shape"), "{arn}");
    }
    let events: Vec<&KinesisEvent> = events.iter().map(|(event, _, _)| event).collect();
    assert_eq!(events.iter().map(|e| e.records.len()).collect::<Vec<_>>(), [100, 100, 100, 100]);
    let record = &events[0].records[0];
    let sent = &all_votes().records[0];
    assert_eq!(record.kinesis.data, sent.kinesis.data);
    assert_eq!(record.kinesis.partition_key, sent.kinesis.partition_key);
    assert_eq!(
        record.event_id.as_deref(),
        Some(format!("shardId-000000000000:{}", record.kinesis.sequence_number).as_str())
    );
    assert_eq!(
        record.event_source_arn.as_deref(),
        Some(format!("arn:aws:kinesis:us-east-1:123456789012:stream/{stream}").as_str())
    );
    assert_eq!(record.event_name.as_deref(), Some("aws:kinesis:record"));
}

#[tokio::test]
async fn reported_item_failures_are_retried_from_the_lowest_one_and_earlier_records_are_not() {
    let votes = batch(all_votes().records[..10].to_vec());
    let (client, stream) = stream_holding(&votes, 1, "esm-partial").await;
    let seen = Seen::default();
    // First invocation: records 6 and 4 failed, reported in that order.
    let function = failing_first_time(seen.clone(), vec![6, 4]);

    let config = EsmConfig { report_batch_item_failures: true, ..quick(&stream) };
    let report = run_until_caught_up(&client, &config, function).await.unwrap();

    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].1, calls[0].1[4..], "the retry starts at the lowest failed record");
    assert_eq!(
        (report.invocations, report.records_delivered, report.records_succeeded),
        (2, 16, 10)
    );
}

#[tokio::test]
async fn bisecting_isolates_a_bad_record_and_only_it_is_given_up() {
    let (client, stream) = stream_holding(&all_votes(), 2, "esm-bisect").await;
    let failures = std::env::temp_dir().join(format!("{}.jsonl", unique_name("esm-failures")));
    let function = InProcess::new(
        "strict",
        Duration::from_secs(3),
        |event: LambdaEvent<KinesisEvent>| async move {
            match event.payload.records.iter().find(|r| !is_json(&r.kinesis.data)) {
                Some(bad) => Err(format!("record {} is not JSON", bad.kinesis.sequence_number)),
                None => Ok(()),
            }
        },
    );

    let config = EsmConfig {
        bisect_batch_on_function_error: true,
        maximum_retry_attempts: Some(1),
        on_failure: Some(pitlane_esm::OnFailure::File(failures.clone())),
        ..quick(&stream)
    };
    let report = run_until_caught_up(&client, &config, Arc::new(function)).await.unwrap();

    assert_eq!((report.records_succeeded, report.records_given_up), (399, 1));
    let written: Vec<FailureRecord> = std::fs::read_to_string(&failures)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(written, report.failures);
    let failure = &written[0];
    assert_eq!(failure.kinesis_batch_info.batch_size, 1);
    assert_eq!(
        failure.kinesis_batch_info.start_sequence_number,
        failure.kinesis_batch_info.end_sequence_number
    );
    assert_eq!(failure.request_context.condition, "RetryAttemptsExhausted");
    assert_eq!(failure.request_context.approximate_invoke_count, 2, "one attempt and one retry");
    // AWS's record and nothing else: a replay written against it reads
    // AWS's messages too (why it failed is in the log).
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&failures).unwrap().lines().next().unwrap())
            .unwrap();
    let fields: Vec<&str> = line.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        ["KinesisBatchInfo", "requestContext", "responseContext", "timestamp", "version"]
    );
    std::fs::remove_file(failures).unwrap();
}

#[tokio::test]
async fn exhausted_retries_skip_the_batch_and_the_shard_moves_on() {
    let votes = batch(all_votes().records[..30].to_vec());
    let (client, stream) = stream_holding(&votes, 1, "esm-exhaust").await;
    let seen = Seen::default();
    let remembered = seen.clone();
    let function = InProcess::new(
        "fails-first-batch",
        Duration::from_secs(3),
        move |event: LambdaEvent<KinesisEvent>| {
            let seen = remembered.clone();
            async move {
                remember(&seen, &event.payload);
                let first = event.payload.records[0].kinesis.sequence_number.clone();
                let first_seen = seen.lock().unwrap()[0].1[0].clone();
                if first == first_seen { Err("this batch always fails") } else { Ok(()) }
            }
        },
    );

    let config = EsmConfig { batch_size: 10, maximum_retry_attempts: Some(2), ..quick(&stream) };
    let report = run_until_caught_up(&client, &config, Arc::new(function)).await.unwrap();

    // Batch 1: 1 attempt + 2 retries, then skipped; batches 2 and 3: once each.
    assert_eq!(report.invocations, 5);
    assert_eq!((report.records_succeeded, report.records_given_up), (20, 10));
    assert_eq!(report.failures[0].request_context.approximate_invoke_count, 3);
    let last_delivered = seen.lock().unwrap().last().unwrap().1.last().unwrap().clone();
    assert_eq!(report.checkpoints["shardId-000000000000"], last_delivered);
}

/// `MaximumRecordAgeInSeconds`: a record that arrived longer ago than that
/// is never sent to the function, neither first nor on a retry; it is given
/// up, with the condition `RecordAgeExceeded`. Here the first 3 of 10
/// records are made two days old as they are read.
#[tokio::test]
async fn records_older_than_the_maximum_age_are_given_up_without_being_sent() {
    let votes = batch(all_votes().records[..10].to_vec());
    let (_, stream) = stream_holding(&votes, 1, "esm-age").await;
    let read = Arc::new(AtomicUsize::new(0));
    let counter = read.clone();
    let two_days_ago = SdkDateTime::from_secs(chrono::Utc::now().timestamp() - 2 * 86_400);
    let backdate = EditOutput::new(move |page: &mut GetRecordsOutput| {
        for record in &mut page.records {
            if counter.fetch_add(1, Ordering::SeqCst) < 3 {
                record.approximate_arrival_timestamp = Some(two_days_ago);
            }
        }
    });
    let seen = Seen::default();
    let config = EsmConfig { maximum_record_age: Some(Duration::from_secs(60)), ..quick(&stream) };

    let report = run_until_caught_up(&kinesis_with(backdate), &config, recording(seen.clone()))
        .await
        .unwrap();

    let delivered: Vec<String> = seen.lock().unwrap().iter().flat_map(|(_, s)| s.clone()).collect();
    let expected = stream_sequence_numbers(&stream).await;
    assert_eq!(delivered, expected[3..], "the 7 recent records, the 3 old ones not");
    assert_eq!((report.records_succeeded, report.records_given_up), (7, 3));
    let failure = &report.failures[0];
    assert_eq!(
        (
            failure.request_context.condition.as_str(),
            failure.request_context.approximate_invoke_count
        ),
        ("RecordAgeExceeded", 0)
    );
    assert_eq!(failure.kinesis_batch_info.batch_size, 3);
    assert_eq!(failure.kinesis_batch_info.end_sequence_number, expected[2]);
}

/// The sequence numbers of a stream's records, read back in order.
async fn stream_sequence_numbers(stream: &str) -> Vec<String> {
    pitlane_testkit::read_all(&kinesis(), stream)
        .await
        .into_iter()
        .map(|(_, record)| record.sequence_number().to_owned())
        .collect()
}

#[tokio::test]
async fn a_panic_or_a_timeout_is_a_function_error_and_the_batch_is_retried() {
    let votes = batch(all_votes().records[..5].to_vec());
    let (client, stream) = stream_holding(&votes, 1, "esm-crash").await;
    let calls = Arc::new(Mutex::new(0));
    let counted = calls.clone();
    let function = InProcess::new(
        "flaky",
        Duration::from_millis(300),
        move |_event: LambdaEvent<KinesisEvent>| {
            let calls = counted.clone();
            async move {
                let call = {
                    let mut calls = calls.lock().unwrap();
                    *calls += 1;
                    *calls
                };
                match call {
                    1 => panic!("the handler crashed"),
                    2 => tokio::time::sleep(Duration::from_secs(5)).await,
                    _ => {}
                }
                Ok::<_, FunctionError>(())
            }
        },
    );

    let config = EsmConfig { function_timeout: Duration::from_millis(300), ..quick(&stream) };
    let report = run_until_caught_up(&client, &config, Arc::new(function)).await.unwrap();

    assert_eq!(*calls.lock().unwrap(), 3);
    assert_eq!((report.invocations, report.records_succeeded, report.records_given_up), (3, 5, 0));
}

#[tokio::test]
async fn the_function_can_be_invoked_over_lambdas_http_api() {
    let (client, stream) =
        stream_holding(&batch(all_votes().records[..3].to_vec()), 1, "esm-http").await;
    let server = FakeLambda::start(vec![
        (500, Some("Unhandled"), r#"{"errorMessage":"boom"}"#),
        (200, None, r#"{"batchItemFailures":[]}"#),
    ]);

    let function = HttpInvoker::new(&server.endpoint, "count-votes", Duration::from_secs(3));
    let config = EsmConfig { report_batch_item_failures: true, ..quick(&stream) };
    let report = run_until_caught_up(&client, &config, Arc::new(function)).await.unwrap();

    assert_eq!((report.invocations, report.records_succeeded), (2, 3));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[0].0.starts_with("POST /2015-03-31/functions/count-votes/invocations "),
        "{}",
        requests[0].0
    );
    let body: serde_json::Value = serde_json::from_str(&requests[0].1).unwrap();
    assert!(body["Records"][0]["kinesis"]["approximateArrivalTimestamp"].is_f64());
    assert_eq!(body["Records"].as_array().unwrap().len(), 3);
}

/// A stop ends a read at once, even inside a long batching window (the
/// archiver's is a minute): the demo's Ctrl-C and every test that stops a
/// system would otherwise wait the window out. What was read and not
/// delivered is not checkpointed.
#[tokio::test]
async fn a_stop_ends_a_batching_window_at_once_and_delivers_nothing_half_gathered() {
    let (client, stream) =
        stream_holding(&batch(all_votes().records[..3].to_vec()), 1, "esm-stop").await;
    let seen = Seen::default();
    let config = EsmConfig { maximum_batching_window: Duration::from_secs(300), ..quick(&stream) };
    let mapping =
        EventSourceMapping::start(client.clone(), config, recording(seen.clone())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Not a timing: a bound far below the window, so that only a stop that
    // waits the window out fails it.
    let report = tokio::time::timeout(Duration::from_secs(60), mapping.stop())
        .await
        .expect("the stop waited for the batching window")
        .unwrap();
    assert_eq!(report.records_succeeded, 0, "nothing delivered before the window closed");
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn in_the_background_it_picks_up_records_written_after_it_started() {
    let (client, stream) = stream_holding(&batch(Vec::new()), 2, "esm-live").await;
    let seen = Seen::default();
    let mapping =
        EventSourceMapping::start(client.clone(), quick(&stream), recording(seen.clone()))
            .await
            .unwrap();

    replay(&client, &stream, &all_votes()).await;
    for _ in 0..200 {
        if mapping.report().records_succeeded == 400 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let report = mapping.stop().await.unwrap();

    assert_eq!(report.records_succeeded, 400);
    assert!(per_shard(&seen).values().all(|seqs| numeric_order(seqs)));
}

#[tokio::test]
async fn settings_aws_refuses_are_refused_before_anything_runs() {
    let (client, stream) = stream_holding(&batch(Vec::new()), 1, "esm-invalid").await;
    let config = EsmConfig { batch_size: 20_000, ..quick(&stream) };

    let error =
        run_until_caught_up(&client, &config, recording(Seen::default())).await.unwrap_err();

    assert!(error.to_string().contains("BatchSize must be 1 to 10,000"), "{error}");
}

/// A stand-in for `cargo lambda watch`: answers each request with the next
/// scripted (status, X-Amz-Function-Error, body), and keeps the requests.
struct FakeLambda {
    endpoint: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl FakeLambda {
    fn start(answers: Vec<(u16, Option<&'static str>, &'static str)>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let kept = seen.clone();
        std::thread::spawn(move || {
            for (answer, stream) in answers.into_iter().zip(listener.incoming()) {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).unwrap();
                    if header == "\r\n" {
                        break;
                    }
                    if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:")
                    {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                kept.lock().unwrap().push((request_line, String::from_utf8(body).unwrap()));
                let (status, error, text) = answer;
                let error_header =
                    error.map(|e| format!("X-Amz-Function-Error: {e}\r\n")).unwrap_or_default();
                write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{error_header}Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                )
                .unwrap();
            }
        });
        Self { endpoint, seen }
    }

    fn requests(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }
}

/// Lambda's own refusals (throttling, a service error) never ran the
/// function: AWS retries them without counting a retry.
#[tokio::test]
async fn an_invoke_that_never_ran_the_function_is_retried_without_using_up_retries() {
    let (client, stream) =
        stream_holding(&batch(all_votes().records[..3].to_vec()), 1, "esm-throttled").await;
    let server = FakeLambda::start(vec![
        (429, None, r#"{"message":"Rate Exceeded."}"#),
        (500, None, r#"{"message":"ServiceException"}"#),
        (200, None, r#"{"batchItemFailures":[]}"#),
    ]);
    let function = HttpInvoker::new(&server.endpoint, "count-votes", Duration::from_secs(3));
    let config = EsmConfig {
        report_batch_item_failures: true,
        maximum_retry_attempts: Some(0),
        ..quick(&stream)
    };

    let report = run_until_caught_up(&client, &config, Arc::new(function)).await.unwrap();

    assert_eq!((report.invocations, report.records_succeeded, report.records_given_up), (3, 3, 0));
}

/// With `BisectBatchOnFunctionError` and `ReportBatchItemFailures` both on,
/// a partial failure splits the batch *at* the reported record: the records
/// from it on are retried together, not half the batch.
#[tokio::test]
async fn a_partial_failure_with_bisect_on_is_retried_from_the_reported_record() {
    let votes = batch(all_votes().records[..10].to_vec());
    for (failed, retried) in [(0, 10), (4, 6)] {
        let (client, stream) = stream_holding(&votes, 1, "esm-split").await;
        let seen = Seen::default();
        let function = failing_first_time(seen.clone(), vec![failed]);
        let config = EsmConfig {
            report_batch_item_failures: true,
            bisect_batch_on_function_error: true,
            ..quick(&stream)
        };

        run_until_caught_up(&client, &config, function).await.unwrap();

        let calls = seen.lock().unwrap().clone();
        let sizes: Vec<usize> = calls.iter().map(|(_, seqs)| seqs.len()).collect();
        assert_eq!(sizes, [10, retried], "reported record {failed}");
        assert_eq!(calls[1].1, calls[0].1[failed..], "the retry starts at the reported record");
    }
}

/// A failed read (throttled, a network error, an expired iterator) is
/// retried from a fresh iterator at the checkpoint: every record is still
/// delivered, once, in order.
#[tokio::test]
async fn failed_reads_are_retried_from_the_checkpoint_and_lose_or_repeat_nothing() {
    let (_, stream) = stream_holding(&all_votes(), 2, "esm-read-faults").await;
    let get_records = CallFaults::<GetRecordsInput>::new([false, true, true, false, true]);
    let client = kinesis_with(get_records.clone());
    let iterators = CallFaults::<GetShardIteratorInput>::new([true]);
    let client = aws_sdk_kinesis::Client::from_conf(
        client.config().to_builder().interceptor(iterators.clone()).build(),
    );
    let seen = Seen::default();
    let config = EsmConfig { batch_size: 50, ..quick(&stream) };

    let report = run_until_caught_up(&client, &config, recording(seen.clone())).await.unwrap();

    let shards = per_shard(&seen);
    assert_eq!(shards.values().map(Vec::len).sum::<usize>(), 400, "every record, once");
    assert!(shards.values().all(|seqs| numeric_order(seqs)), "out of order or repeated");
    assert_eq!(report.records_given_up, 0);
    assert!(get_records.calls() > 5 && iterators.calls() > 2, "the faults were met and retried");
}

/// Lambda takes at most 6 MB in one synchronous invocation; the mapping cuts
/// a batch short rather than send a bigger event.
#[tokio::test]
async fn a_batch_is_cut_short_so_that_its_event_stays_within_6_mb() {
    let client = kinesis();
    let stream = unique_name("esm-6mb");
    pitlane_testkit::stream_with_shards(&client, &stream, 1).await;
    // A shard takes 1 MiB a second, so most of these 1 MB writes are
    // throttled at first (the local backend refuses them as AWS does): each
    // waits for the shard's next second and is sent again.
    for n in 0..8 {
        let data = aws_sdk_kinesis::primitives::Blob::new(vec![b'x'; 1_000_000]);
        for attempt in 1.. {
            let put = client
                .put_record()
                .stream_name(&stream)
                .partition_key(format!("k{n}"))
                .data(data.clone())
                .send()
                .await;
            match put {
                Ok(_) => break,
                Err(error)
                    if attempt < 20
                        && error
                            .as_service_error()
                            .is_some_and(|e| e.is_provisioned_throughput_exceeded_exception()) =>
                {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Err(error) => panic!("PutRecord: {error:?}"),
            }
        }
    }
    let events: Arc<Mutex<Vec<usize>>> = Arc::default();
    let sizes = events.clone();
    let function =
        InProcess::new("big", Duration::from_secs(3), move |event: LambdaEvent<KinesisEvent>| {
            let sizes = sizes.clone();
            async move {
                let json = pitlane::lambda::to_lambda_json(&event.payload);
                assert!(event.payload.records.len() <= 8);
                sizes.lock().unwrap().push(json.len());
                Ok::<_, FunctionError>(())
            }
        });

    let report = run_until_caught_up(&client, &quick(&stream), Arc::new(function)).await.unwrap();

    let sizes = events.lock().unwrap().clone();
    assert_eq!(report.records_succeeded, 8);
    assert!(sizes.iter().all(|&size| size <= pitlane_esm::MAX_PAYLOAD_BYTES), "{sizes:?}");
    // Each record is about 1.33 MB of base64: four fit in 6 MB, five do not.
    assert_eq!(report.invocations, 2, "{sizes:?}");
}

/// A shard serves 5 `GetRecords` calls a second; the mapping, polling within
/// its batching window, stays under that.
#[tokio::test]
async fn a_shard_is_read_at_most_five_times_a_second() {
    let (_, stream) =
        stream_holding(&batch(all_votes().records[..3].to_vec()), 1, "esm-pace").await;
    let calls = CallFaults::<GetRecordsInput>::counting();
    let client = kinesis_with(calls.clone());
    let config = EsmConfig { maximum_batching_window: Duration::from_secs(2), ..quick(&stream) };

    let started = std::time::Instant::now();
    run_until_caught_up(&client, &config, recording(Seen::default())).await.unwrap();
    let elapsed = started.elapsed();

    let allowed = elapsed.as_millis() / pitlane_esm::MIN_GET_RECORDS_INTERVAL.as_millis() + 1;
    assert!(calls.calls() as u128 <= allowed, "{} calls in {elapsed:?}", calls.calls());
    // No lower bound on the count (a slow machine answers more slowly): only
    // that it polled again within the window rather than stopping at once.
    assert!(calls.calls() >= 2, "it kept polling through the window: {}", calls.calls());
}

/// At the tip, within its batching window, the mapping polls at Lambda's
/// base rate (once a second, its poll interval), not five times a second:
/// the shard's five reads a second are shared by all its consumers, and an
/// archiver gathering for a minute would otherwise take every one of them
/// from the vote counter beside it.
#[tokio::test]
async fn at_the_tip_a_batching_window_polls_once_a_second_leaving_reads_to_other_consumers() {
    let (_, stream) =
        stream_holding(&batch(all_votes().records[..3].to_vec()), 1, "esm-window").await;
    let calls = CallFaults::<GetRecordsInput>::counting();
    let client = kinesis_with(calls.clone());
    let config = EsmConfig {
        maximum_batching_window: Duration::from_secs(3),
        poll_interval: Duration::from_secs(1),
        ..quick(&stream)
    };

    let started = std::time::Instant::now();
    run_until_caught_up(&client, &config, recording(Seen::default())).await.unwrap();
    let elapsed = started.elapsed();

    // The first read, then one a second at most (and the caught-up check).
    let allowed = elapsed.as_secs() as usize + 2;
    assert!(calls.calls() <= allowed, "{} calls in {elapsed:?}", calls.calls());
}

/// The deployed stream is KMS-encrypted; Lambda's records then say
/// `encryptionType: KMS` (Kinesis decrypts them for the reader).
#[tokio::test]
async fn records_of_an_encrypted_stream_say_so() {
    let client = kinesis();
    let stream = unique_name("esm-kms");
    pitlane_testkit::stream_with_shards(&client, &stream, 1).await;
    client
        .start_stream_encryption()
        .stream_name(&stream)
        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();
    let encrypting = client.describe_stream_summary().stream_name(&stream).send().await.unwrap();
    let summary = encrypting.stream_description_summary().unwrap();
    assert_eq!(summary.encryption_type(), Some(&aws_sdk_kinesis::types::EncryptionType::Kms));
    replay(&client, &stream, &batch(all_votes().records[..3].to_vec())).await;
    let events: Arc<Mutex<Vec<KinesisEvent>>> = Arc::default();
    let kept = events.clone();
    let function =
        InProcess::new("kms", Duration::from_secs(3), move |event: LambdaEvent<KinesisEvent>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(event.payload);
                Ok::<_, FunctionError>(())
            }
        });

    run_until_caught_up(&client, &quick(&stream), Arc::new(function)).await.unwrap();

    let records: Vec<_> = events.lock().unwrap().iter().flat_map(|e| e.records.clone()).collect();
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| r.kinesis.encryption_type == pitlane::lambda::KinesisEncryptionType::Kms)
    );
}

/// After a reshard, a key's older records are in the closed parent shard and
/// its newer ones in a child: Lambda reads the parent to its end before the
/// children, so a key's records stay in order.
#[tokio::test]
async fn after_a_reshard_parent_shards_are_read_before_their_children() {
    let client = kinesis();
    let stream = unique_name("esm-reshard");
    pitlane_testkit::stream_with_shards(&client, &stream, 1).await;
    let put = |key: String, n: usize| {
        let client = client.clone();
        let stream = stream.clone();
        async move {
            let data = aws_sdk_kinesis::primitives::Blob::new(format!("{{\"n\":{n}}}"));
            client
                .put_record()
                .stream_name(stream)
                .partition_key(key)
                .data(data)
                .send()
                .await
                .unwrap();
        }
    };
    for n in 0..6 {
        put(format!("key-{}", n % 3), n).await;
    }
    client
        .update_shard_count()
        .stream_name(&stream)
        .target_shard_count(2)
        .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    loop {
        let summary = client.describe_stream_summary().stream_name(&stream).send().await.unwrap();
        let status = summary.stream_description_summary().unwrap().stream_status().clone();
        if status == aws_sdk_kinesis::types::StreamStatus::Active {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for n in 6..12 {
        put(format!("key-{}", n % 3), n).await;
    }
    // The parent's batches are slow: a child read alongside would come first.
    let order: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let kept = order.clone();
    let function = InProcess::new(
        "reshard",
        Duration::from_secs(3),
        move |event: LambdaEvent<KinesisEvent>| {
            let kept = kept.clone();
            async move {
                let shard = event.payload.records[0].event_id.clone().unwrap_or_default();
                let shard = shard.split(':').next().unwrap_or_default().to_owned();
                if shard == "shardId-000000000000" {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                for record in &event.payload.records {
                    let value: serde_json::Value =
                        serde_json::from_slice(&record.kinesis.data).unwrap();
                    kept.lock().unwrap().push((shard.clone(), value["n"].as_u64().unwrap()));
                }
                Ok::<_, FunctionError>(())
            }
        },
    );

    run_until_caught_up(&client, &quick(&stream), Arc::new(function)).await.unwrap();

    let order = order.lock().unwrap().clone();
    let delivered: Vec<u64> = order.iter().map(|(_, n)| *n).collect();
    assert_eq!(delivered.len(), 12, "{order:?}");
    let parent: Vec<u64> =
        order.iter().filter(|(s, _)| s == "shardId-000000000000").map(|(_, n)| *n).collect();
    assert_eq!(parent, [0, 1, 2, 3, 4, 5], "the parent holds the records from before the reshard");
    assert_eq!(
        &delivered[..6],
        &parent[..],
        "every parent record is delivered before any child's: {order:?}"
    );
}

/// What a handler saw of concurrent batches: the most in flight at once,
/// every (partition key, sequence number) in the order handled, and any
/// key found in two batches in flight at once.
#[derive(Default)]
struct Concurrency {
    in_flight: Vec<Vec<String>>,
    most: usize,
    handled: Vec<(String, String)>,
    overlaps: Vec<String>,
}

/// A handler that takes 30 ms a batch and watches the batches in flight.
fn watching(state: Arc<Mutex<Concurrency>>) -> Arc<dyn Invoke> {
    Arc::new(InProcess::new(
        "watcher",
        Duration::from_secs(3),
        move |event: LambdaEvent<KinesisEvent>| {
            let state = state.clone();
            async move {
                let keys: Vec<String> =
                    event.payload.records.iter().map(|r| r.kinesis.partition_key.clone()).collect();
                {
                    let mut state = state.lock().unwrap();
                    let busy: Vec<String> = state.in_flight.iter().flatten().cloned().collect();
                    let overlaps: Vec<String> =
                        keys.iter().filter(|key| busy.contains(key)).cloned().collect();
                    state.overlaps.extend(overlaps);
                    state.in_flight.push(keys.clone());
                    state.most = state.most.max(state.in_flight.len());
                }
                tokio::time::sleep(Duration::from_millis(30)).await;
                let mut state = state.lock().unwrap();
                let mine = state.in_flight.iter().position(|k| *k == keys).unwrap();
                state.in_flight.remove(mine);
                for record in &event.payload.records {
                    let kinesis = &record.kinesis;
                    state
                        .handled
                        .push((kinesis.partition_key.clone(), kinesis.sequence_number.clone()));
                }
                Ok::<_, FunctionError>(())
            }
        },
    ))
}

#[tokio::test]
async fn with_a_parallelization_factor_batches_of_a_shard_run_at_once_and_each_key_stays_in_order()
{
    // One shard, 400 votes from 211 fans (the partition key is the fan).
    let (client, stream) = stream_holding(&all_votes(), 1, "esm-parallel").await;
    let state = Arc::new(Mutex::new(Concurrency::default()));

    let config = EsmConfig { batch_size: 10, parallelization_factor: 4, ..quick(&stream) };
    let report = run_until_caught_up(&client, &config, watching(state.clone())).await.unwrap();

    let state = state.lock().unwrap();
    assert_eq!((report.records_succeeded, report.records_given_up), (400, 0));
    assert_eq!(state.handled.len(), 400, "each record once");
    assert!(state.most > 1 && state.most <= 4, "{} batches in flight at most", state.most);
    assert!(state.overlaps.is_empty(), "keys in two batches at once: {:?}", state.overlaps);
    let mut per_key: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (key, seq) in &state.handled {
        per_key.entry(key).or_default().push(seq.clone());
    }
    assert!(per_key.values().all(|seqs| numeric_order(seqs)), "a key's records out of order");
    // Everything done: the checkpoint is the shard's last record.
    let last = state.handled.iter().map(|(_, seq)| seq).max_by_key(|s| (s.len(), *s)).unwrap();
    assert_eq!(report.checkpoints.values().next(), Some(last));
}

#[tokio::test]
async fn with_concurrent_batches_a_reported_failure_is_retried_and_nothing_is_lost_or_repeated() {
    let (client, stream) = stream_holding(&all_votes(), 1, "esm-parallel-fail").await;
    let seen = Seen::default();
    let config = EsmConfig {
        batch_size: 20,
        parallelization_factor: 3,
        report_batch_item_failures: true,
        ..quick(&stream)
    };
    // The first batch handled reports its 6th record: that lane is retried
    // from there while the other lanes go on.
    let report = run_until_caught_up(&client, &config, failing_first_time(seen.clone(), vec![5]))
        .await
        .unwrap();
    let delivered: Vec<String> = per_shard(&seen).into_values().flatten().collect();
    let mut unique = delivered.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 400, "every record delivered");
    let first = seen.lock().unwrap()[0].1.len();
    assert_eq!(delivered.len(), 400 + first - 5, "the failed record and those after it, again");
    assert_eq!((report.records_succeeded, report.records_given_up), (400, 0));
}

#[tokio::test]
async fn the_report_gives_each_shards_iterator_age_and_the_largest_seen() {
    let (client, stream) = stream_holding(&all_votes(), 2, "esm-age").await;
    // The records wait in the stream before the mapping reads them.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let seen = Seen::default();
    let report = run_until_caught_up(&client, &quick(&stream), recording(seen)).await.unwrap();
    assert_eq!(report.iterator_age_ms.len(), 2, "one age per shard: {report:?}");
    assert!(report.max_iterator_age_ms >= 1200, "{} ms", report.max_iterator_age_ms);
    assert!(report.iterator_age_ms.values().all(|age| *age <= report.max_iterator_age_ms));
}
