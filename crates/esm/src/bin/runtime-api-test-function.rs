//! A Lambda function for the tests of `RuntimeApiProcess` (`tests/runtime_api.rs`):
//! it does what the first record's data says — `fail` (return an error),
//! `exit` (the process exits mid-invocation), `sleep` (outlive any timeout) —
//! and otherwise answers the number of records and its process id.

use std::time::Duration;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use pitlane::lambda::KinesisEvent;
use serde_json::{Value, json};

async fn handle(event: LambdaEvent<KinesisEvent>) -> Result<Value, Error> {
    let records = &event.payload.records;
    let command = records.first().map(|r| String::from_utf8_lossy(&r.kinesis.data).into_owned());
    match command.as_deref() {
        Some("fail") => Err("asked to fail".into()),
        Some("exit") => std::process::exit(3),
        Some("sleep") => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(Value::Null)
        }
        _ => Ok(json!({ "records": records.len(), "pid": std::process::id() })),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handle)).await
}
