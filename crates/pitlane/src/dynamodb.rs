//! Small DynamoDB helpers that several days need.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
};

use crate::aws::DynamoDbError;

/// Creates an on-demand table (no capacity to plan; pay per request) whose
/// partition key is the string attribute `key`, and waits until it is
/// ACTIVE (polling every 100 ms: the SDK's waiter waits 20 s at least).
pub async fn create_table(client: &Client, table: &str, key: &str) -> Result<(), DynamoDbError> {
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
        .await?;
    for _ in 0..1200 {
        let described = client.describe_table().table_name(table).send().await?;
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}
