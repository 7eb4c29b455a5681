//! The Lambda function: a thin `main` around [`handle`](crate::handle).
//!
//! You do not need to change this file. Its event-source mapping must have
//! `FunctionResponseTypes: [ReportBatchItemFailures]`, or the failures the
//! handler reports are ignored.

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use pitlane::lambda::KinesisEvent;

use crate::{RESULTS_TABLE_ENV, Tables, VOTES_TABLE_ENV, VoteError, handle};

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
        handle(client, tables, event.payload).await.map_err(Diagnostic::from)
    }))
    .await
}

/// What Lambda is told when the handler fails, as lambda_runtime asks for
/// it: a `Diagnostic` made from the handler's own error. `errorType` names
/// the failure, `VoteError::Variant`, for a person searching the logs or an
/// alarm filtering on it; `errorMessage` says it, with each cause. (Without
/// this, the runtime would report the Rust type of a boxed error for every
/// failure.) The Lambda primer explains it: «When a handler fails».
impl From<VoteError> for Diagnostic {
    fn from(error: VoteError) -> Self {
        let error_type = match &error {
            VoteError::DynamoDb(_) => "VoteError::DynamoDb",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: pitlane::lambda::with_causes(&error),
        }
    }
}
