//! DynamoDB helpers: a client for the local backend, scans, and
//! items as readable JSON for snapshots.

use std::collections::HashMap;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Intercept, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
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

pub(crate) fn config() -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "pitlane-testkit"))
        .endpoint_url(local_endpoint("AWS_ENDPOINT_URL_DYNAMODB"))
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

/// Every item of `table` as JSON text, sorted, without the attributes named
/// in `ignore` (a timestamp, say): a table's state, to compare before and
/// after a replay.
pub async fn table_state(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    ignore: &[&str],
) -> Vec<String> {
    let mut items: Vec<String> = scan_all(client, table)
        .await
        .iter()
        .map(|item| {
            let mut json = item_to_json(item);
            let fields = json.as_object_mut().expect("an item is an object");
            ignore.iter().for_each(|name| _ = fields.remove(*name));
            json.to_string()
        })
        .collect();
    items.sort();
    items
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
        AttributeValue::B(blob) => json!({ "B": BASE64.encode(blob.as_ref()) }),
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
