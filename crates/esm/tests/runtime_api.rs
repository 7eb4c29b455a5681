//! The Lambda binary under the local Runtime API: answers, function errors,
//! a process that exits, a timeout and a crash — and the fresh process
//! (cold start) that follows a death, as on Lambda. No AWS backend needed.

use std::sync::Arc;
use std::time::Duration;

use pitlane::lambda::{KinesisEvent, KinesisEventRecord, batch};
use pitlane_esm::{FunctionError, Invoke, RuntimeApiProcess};

const FUNCTION: &str = env!("CARGO_BIN_EXE_runtime-api-test-function");

/// A one-record batch whose data is `command`.
fn event(command: &str) -> KinesisEvent {
    let mut record = KinesisEventRecord::default();
    record.kinesis.partition_key = "test".to_owned();
    record.kinesis.sequence_number = "1".to_owned();
    record.kinesis.data.extend_from_slice(command.as_bytes());
    batch(vec![record])
}

async fn function(timeout: Duration) -> RuntimeApiProcess {
    RuntimeApiProcess::start("test-function", FUNCTION, &[], timeout).await.unwrap()
}

fn text(error: FunctionError) -> String {
    error.to_string()
}

#[tokio::test]
async fn a_function_error_keeps_the_process_a_death_starts_a_new_one() {
    let function = function(Duration::from_secs(2)).await;

    let first = function.invoke(event("hello")).await.unwrap();
    assert_eq!(first["records"], 1);
    let failed = function.invoke(event("fail")).await.unwrap_err();
    assert!(
        matches!(&failed, FunctionError::Unhandled(m) if m.contains("asked to fail")),
        "{failed}"
    );
    let after_error = function.invoke(event("hello")).await.unwrap();
    assert_eq!(
        after_error["pid"], first["pid"],
        "a function error keeps the execution environment"
    );
    assert_eq!(function.starts(), 1);

    let exited = text(function.invoke(event("exit")).await.unwrap_err());
    assert!(exited.contains("Runtime.ExitError"), "{exited}");
    let after_exit = function.invoke(event("hello")).await.unwrap();
    assert_ne!(after_exit["pid"], first["pid"], "a new process after a death");

    let timed_out = function.invoke(event("sleep")).await.unwrap_err();
    assert_eq!(timed_out, FunctionError::TimedOut(Duration::from_secs(2)));
    let after_timeout = function.invoke(event("hello")).await.unwrap();
    assert_ne!(after_timeout["pid"], after_exit["pid"], "a timed-out process is not reused");
    assert_eq!((function.starts(), function.crashes()), (3, 0));
}

#[tokio::test]
async fn crash_kills_the_process_in_the_middle_of_an_invocation() {
    let function = Arc::new(function(Duration::from_secs(30)).await);
    let before = function.invoke(event("hello")).await.unwrap();

    let busy = tokio::spawn({
        let function = function.clone();
        async move { function.invoke(event("sleep")).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    function.crash();
    let crashed = text(busy.await.unwrap().unwrap_err());

    assert!(crashed.contains("SIGKILL"), "{crashed}");
    let after = function.invoke(event("hello")).await.unwrap();
    assert_ne!(after["pid"], before["pid"]);
    assert_eq!((function.starts(), function.crashes()), (2, 1));
}
