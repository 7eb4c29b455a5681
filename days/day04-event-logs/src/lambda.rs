//! The Lambda function: a thin `main` around [`handle`](crate::handle).
//!
//! You do not need to change this file. On AWS (or under `cargo lambda
//! watch`) the runtime calls the handler once per batch; the local
//! event-source mapping calls the very same `handle` function in-process.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use pitlane::lambda::KinesisEvent;

use crate::{TABLE_ENV, handle};

#[tokio::main]
pub async fn main() -> Result<(), Error> {
    pitlane::telemetry::init();
    let table = std::env::var(TABLE_ENV)
        .map_err(|_| format!("set {TABLE_ENV} to the EventLogs table's name"))?;
    let client = aws_sdk_dynamodb::Client::new(&pitlane::aws::load_config().await);
    let (client, table) = (&client, table.as_str());
    run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        handle(client, table, event.payload).await.map_err(pitlane::lambda::diagnostic)
    }))
    .await
}
