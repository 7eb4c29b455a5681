//! Small DynamoDB helpers that several days need.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
};

use crate::aws::DynamoDbError;

/// How long [`create_table`] waits for a new table to become ACTIVE.
pub const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// A table could not be created, or did not become usable.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error(transparent)]
    Call(#[from] DynamoDbError),
    /// Writing to a table that is not ACTIVE fails: better to say so here,
    /// once, than on every write that follows.
    #[error("table {table} was still not ACTIVE after {waited:?}")]
    NotActive { table: String, waited: Duration },
}

/// Creates an on-demand table (no capacity to plan; pay per request) whose
/// partition key is the string attribute `key`, and waits until it is
/// ACTIVE (polling every 100 ms: the SDK's waiter waits 20 s at least), for
/// at most [`TABLE_ACTIVE_TIMEOUT`].
pub async fn create_table(client: &Client, table: &str, key: &str) -> Result<(), TableError> {
    create_table_within(client, table, key, TABLE_ACTIVE_TIMEOUT).await
}

/// [`create_table`], waiting at most `timeout` for the table to be ACTIVE.
pub async fn create_table_within(
    client: &Client,
    table: &str,
    key: &str,
    timeout: Duration,
) -> Result<(), TableError> {
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .expect("set"),
        )
        .send()
        .await
        .map_err(DynamoDbError::from)?;
    let started = tokio::time::Instant::now();
    loop {
        let described =
            client.describe_table().table_name(table).send().await.map_err(DynamoDbError::from)?;
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(TableError::NotActive {
                table: table.to_owned(),
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
