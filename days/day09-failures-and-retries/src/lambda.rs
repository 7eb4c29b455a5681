//! The Lambda function: a thin `main` around [`handle`](crate::handle).
//!
//! You do not need to change this file. Its event-source mapping must have
//! `FunctionResponseTypes: [ReportBatchItemFailures]`, or the failures the
//! handler reports are ignored; and it should have an on-failure
//! destination, where the mapping sends the position of a batch it gives up.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use pitlane::lambda::KinesisEvent;

use crate::{Consumer, RetryPolicy, Tables, handle};

#[tokio::main]
pub async fn main() -> Result<(), Error> {
    pitlane::telemetry::init();
    let tables = Tables::from_env()?;
    let client = aws_sdk_dynamodb::Client::new(&pitlane::aws::load_config().await);
    // The SDK already retries each call a few times; these retries come on
    // top, with longer waits, before the record is handed back to the mapping.
    let consumer = &Consumer { client, tables, retry: RetryPolicy::default() };
    run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        Ok::<_, Error>(handle(consumer, event.payload).await)
    }))
    .await
}
