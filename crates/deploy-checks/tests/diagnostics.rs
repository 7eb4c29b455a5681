//! What the deployed stream consumers tell Lambda when they fail: each day's
//! `From<…Error> for Diagnostic` (in its `lambda.rs`) names the failure,
//! `Type::Variant`, and says it with every cause. An alarm or a log search
//! filters on that name; the runtime's fallback would name a boxed `dyn
//! Error` for every failure.

use aws_sdk_dynamodb::types::error::ProvisionedThroughputExceededException;
use lambda_runtime::Diagnostic;
use pitlane::aws::DynamoDbError;

/// A throttled DynamoDB call, as the SDK reports it.
fn throttled() -> DynamoDbError {
    DynamoDbError::from(aws_sdk_dynamodb::Error::ProvisionedThroughputExceededException(
        ProvisionedThroughputExceededException::builder().message("slow down").build(),
    ))
}

#[test]
fn event_logs_name_a_give_up_and_a_failed_call() {
    use day04_event_logs_solution::EventLogError;
    let gave_up = Diagnostic::from(EventLogError::Unprocessed { count: 3, attempts: 6 });
    assert_eq!(gave_up.error_type, "EventLogError::Unprocessed");
    assert!(gave_up.error_message.starts_with("3 item(s) still unprocessed after 6 attempts"));
    let failed = Diagnostic::from(EventLogError::DynamoDb(throttled()));
    assert_eq!(failed.error_type, "EventLogError::DynamoDb");
    assert!(failed.error_message.contains("slow down"), "{}", failed.error_message);
}

#[test]
fn the_counters_name_a_failed_call_with_its_cause() {
    let counted = Diagnostic::from(day06_count_votes_solution::CountError::DynamoDb(throttled()));
    assert_eq!(counted.error_type, "CountError::DynamoDb");
    assert!(counted.error_message.contains("slow down"), "{}", counted.error_message);
    let voted =
        Diagnostic::from(day07_one_vote_per_user_solution::VoteError::DynamoDb(throttled()));
    assert_eq!(voted.error_type, "VoteError::DynamoDb");
    assert!(voted.error_message.contains("slow down"), "{}", voted.error_message);
}
