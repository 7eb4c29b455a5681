//! DynamoDB helpers: a client for the local backend, tables, scans, and
//! items as readable JSON for snapshots.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Intercept, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus,
};
use serde_json::{Value, json};

use crate::{REGION, local_endpoint};

/// A DynamoDB client for the local backend.
pub fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(config().build())
}

/// A DynamoDB client whose calls pass through `interceptor`.
pub fn dynamodb_with(interceptor: impl Intercept + 'static) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(config().interceptor(interceptor).build())
}

fn config() -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "pitlane-testkit"))
        .endpoint_url(local_endpoint("AWS_ENDPOINT_URL_DYNAMODB"))
}

/// Creates an on-demand table whose partition key is the string attribute
/// `key`, and waits until it is ACTIVE.
pub async fn table_with_key(client: &aws_sdk_dynamodb::Client, table: &str, key: &str) {
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating test table {table}: {e:?}"));
    for _ in 0..300 {
        let described =
            client.describe_table().table_name(table).send().await.expect("DescribeTable");
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("test table {table} did not become ACTIVE in 15 s");
}

/// Every item of `table` (all pages of a Scan).
pub async fn scan_all(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Vec<HashMap<String, AttributeValue>> {
    let mut items = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap_or_else(|e| panic!("scanning {table}: {e:?}"));
        items.extend(page.items().iter().cloned());
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return items,
        }
    }
}

/// An item in DynamoDB's own JSON notation (`{"votes": {"N": "12"}}`), with
/// sorted attribute names: how the AWS console shows it, and stable for
/// snapshots.
pub fn item_to_json(item: &HashMap<String, AttributeValue>) -> Value {
    let sorted: std::collections::BTreeMap<_, _> =
        item.iter().map(|(k, v)| (k.clone(), attribute_to_json(v))).collect();
    json!(sorted)
}

fn attribute_to_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::M(map) => json!({ "M": item_to_json(map) }),
        AttributeValue::L(list) => {
            json!({ "L": list.iter().map(attribute_to_json).collect::<Vec<_>>() })
        }
        AttributeValue::Ss(set) => json!({ "SS": set }),
        AttributeValue::Ns(set) => json!({ "NS": set }),
        other => json!({ "other": format!("{other:?}") }),
    }
}
