//! The Lambda function: a thin `main` around [`handle`](crate::handle).
//!
//! You do not need to change this file. On AWS (or under `cargo lambda
//! watch`) the runtime calls the handler once per batch; the local
//! event-source mapping calls the very same `handle` function in-process.

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use pitlane::lambda::KinesisEvent;

use crate::{CountError, TABLE_ENV, handle};

#[tokio::main]
pub async fn main() -> Result<(), Error> {
    pitlane::telemetry::init();
    let table = std::env::var(TABLE_ENV)
        .map_err(|_| format!("set {TABLE_ENV} to the results table's name"))?;
    let client = aws_sdk_dynamodb::Client::new(&pitlane::aws::load_config().await);
    let (client, table) = (&client, table.as_str());
    run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        handle(client, table, event.payload).await.map_err(Diagnostic::from)
    }))
    .await
}

/// What Lambda is told when the handler fails, as lambda_runtime asks for
/// it: a `Diagnostic` made from the handler's own error. `errorType` names
/// the failure, `CountError::Variant`, for a person searching the logs or an
/// alarm filtering on it; `errorMessage` says it, with each cause. (Without
/// this, the runtime would report the Rust type of a boxed error for every
/// failure.) The Lambda primer explains it: «When a handler fails».
impl From<CountError> for Diagnostic {
    fn from(error: CountError) -> Self {
        let error_type = match &error {
            CountError::DynamoDb(_) => "CountError::DynamoDb",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: pitlane::lambda::with_causes(&error),
        }
    }
}
