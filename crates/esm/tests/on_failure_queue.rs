//! The on-failure destination template.yaml names, an SQS queue (on the
//! local backend's moto): a batch given up arrives there as one message, in
//! the shape AWS sends, with no field of the mapping's own.

use std::sync::Arc;
use std::time::Duration;

use lambda_runtime::LambdaEvent;
use pitlane::lambda::{KinesisEvent, batch};
use pitlane_esm::{EsmConfig, FailureRecord, InProcess, OnFailure, run_until_caught_up};
use pitlane_testkit::{all_records, stream_holding, unique_name};

#[tokio::test]
async fn a_batch_given_up_arrives_on_the_queue_as_aws_sends_it() {
    let votes = batch(all_records("votes").records[..5].to_vec());
    let (kinesis, stream) = stream_holding(&votes, 1, "esm-queue").await;
    let sqs = aws_sdk_sqs::Client::new(&pitlane::aws::load_config().await);
    let queue_url = sqs
        .create_queue()
        .queue_name(unique_name("failed-batches"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let failing =
        InProcess::new("failing", Duration::from_secs(3), |_: LambdaEvent<KinesisEvent>| async {
            Err::<(), _>("the counter is down".to_owned())
        });
    let config = EsmConfig {
        retry_delay: Duration::ZERO,
        poll_interval: Duration::from_millis(50),
        maximum_retry_attempts: Some(1),
        on_failure: Some(OnFailure::Sqs { client: sqs.clone(), queue_url: queue_url.clone() }),
        ..EsmConfig::new(&stream)
    };

    let report = run_until_caught_up(&kinesis, &config, Arc::new(failing)).await.unwrap();
    assert_eq!(report.records_given_up, 5);

    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let bodies: Vec<&str> = received.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(bodies.len(), 1, "one message per batch given up: {bodies:?}");
    let message: serde_json::Value = serde_json::from_str(bodies[0]).unwrap();
    let fields: Vec<&str> = message.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        ["KinesisBatchInfo", "requestContext", "responseContext", "timestamp", "version"],
        "AWS's fields, and no other"
    );
    let record: FailureRecord = serde_json::from_str(bodies[0]).unwrap();
    assert_eq!(record, report.failures[0]);
    let info = &record.kinesis_batch_info;
    assert_eq!(info.batch_size, 5);
    assert_eq!(info.start_sequence_number, votes_sequence(&kinesis, &stream, 0).await);
    assert_eq!(record.request_context.condition, "RetryAttemptsExhausted");
    kinesis.delete_stream().stream_name(&stream).send().await.unwrap();
}

/// The sequence number of the `n`th record of the stream's only shard.
async fn votes_sequence(kinesis: &aws_sdk_kinesis::Client, stream: &str, n: usize) -> String {
    pitlane_testkit::read_all(kinesis, stream).await[n].1.sequence_number().to_owned()
}
