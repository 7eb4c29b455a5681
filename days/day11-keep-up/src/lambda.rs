//! The Lambda function: a thin `main` around [`handle`](crate::handle).
//!
//! You do not need to change this file. Like day 09's, its event-source
//! mapping must have `FunctionResponseTypes: [ReportBatchItemFailures]`, or
//! the failure the handler reports is ignored.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use pitlane::lambda::KinesisEvent;

use crate::{CONCURRENCY, Consumer, RetryPolicy, Tables, handle};

#[tokio::main]
pub async fn main() -> Result<(), Error> {
    pitlane::telemetry::init();
    let tables = Tables::from_env()?;
    let client = aws_sdk_dynamodb::Client::new(&pitlane::aws::load_config().await);
    let consumer = &Consumer { client, tables, retry: RetryPolicy::default() };
    run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        Ok::<_, Error>(handle(consumer, event.payload, CONCURRENCY).await)
    }))
    .await
}
