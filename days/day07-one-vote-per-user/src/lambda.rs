//! The Lambda function: a thin `main` around [`handle`](crate::handle).
//!
//! You do not need to change this file. Its event-source mapping must have
//! `FunctionResponseTypes: [ReportBatchItemFailures]`, or the failures the
//! handler reports are ignored.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use pitlane::lambda::KinesisEvent;

use crate::{RESULTS_TABLE_ENV, Tables, VOTES_TABLE_ENV, handle};

#[tokio::main]
pub async fn main() -> Result<(), Error> {
    pitlane::telemetry::init();
    let variable =
        |name: &str| std::env::var(name).map_err(|_| format!("set {name} to the table's name"));
    let tables =
        Tables { votes: variable(VOTES_TABLE_ENV)?, results: variable(RESULTS_TABLE_ENV)? };
    let client = aws_sdk_dynamodb::Client::new(&pitlane::aws::load_config().await);
    let (client, tables) = (&client, &tables);
    run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        handle(client, tables, event.payload).await.map_err(pitlane::lambda::diagnostic)
    }))
    .await
}
