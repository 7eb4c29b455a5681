//! The shared helpers' own promises, where a day's suite does not test them.

use std::time::Duration;

use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::types::{TableDescription, TableStatus};
use pitlane::dynamodb::{TableError, create_table_within};
use pitlane_testkit::{EditOutput, dynamodb, dynamodb_with, unique_name};

/// A table that never becomes ACTIVE (DynamoDB keeps one CREATING when, say,
/// the account is at its limit of tables being created) is an error, not a
/// silent `Ok` that leaves every later write to fail.
#[tokio::test]
async fn creating_a_table_that_never_becomes_active_fails_after_the_timeout() {
    let creating = EditOutput::new(|answer: &mut DescribeTableOutput| {
        answer.table =
            Some(TableDescription::builder().table_status(TableStatus::Creating).build());
    });
    let client = dynamodb_with(creating.clone());
    let table = unique_name("never-active");

    let result = create_table_within(&client, &table, "id", Duration::from_millis(300)).await;

    match result {
        Err(TableError::NotActive { table: name, .. }) => assert_eq!(name, table),
        other => panic!("expected NotActive, got {other:?}"),
    }
    assert!(creating.edited() >= 2, "it polled more than once before giving up");

    // The same call on the real answers succeeds.
    let table = unique_name("active");
    create_table_within(&dynamodb(), &table, "id", Duration::from_secs(5)).await.unwrap();
}
