//! What day 08's results API must answer.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::operation::scan::{ScanInput, ScanOutput};
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Response};
use pitlane::apigw::{HttpRequest, http_api_event};
use pitlane_testkit::{
    EditInput, EditOutput, dynamodb, dynamodb_with, expected_votes, fixture_batches, unique_name,
};
use serde_json::Value;

use crate::sut::{ApiConfig, Count, handle, read_counts, summarize};

const ORIGIN: &str = "https://dashboard.pitlane.example";

/// Each fan's first valid vote in the recorded votes, per driver: the counts
/// day 07 leaves in the table.
fn recorded_counts() -> BTreeMap<String, u64> {
    let batches = fixture_batches("votes");
    expected_votes(batches.iter().flat_map(|batch| &batch.records), usize::MAX).counts
}

/// A results table holding `counts`, updated at minute `i` for driver `i`.
async fn table_with(client: &aws_sdk_dynamodb::Client, counts: &BTreeMap<String, u64>) -> String {
    let table = unique_name("day08-results");
    pitlane::dynamodb::create_table(client, &table, "driver").await.unwrap();
    for (minute, (driver, votes)) in counts.iter().enumerate() {
        client
            .put_item()
            .table_name(&table)
            .item("driver", AttributeValue::S(driver.clone()))
            .item("votes", AttributeValue::N(votes.to_string()))
            .item(
                "updatedAt",
                AttributeValue::S(format!("2026-07-05T15:{:02}:00+00:00", 32 + minute)),
            )
            .send()
            .await
            .unwrap();
    }
    table
}

async fn get(
    client: &aws_sdk_dynamodb::Client,
    config: &ApiConfig,
    request: HttpRequest,
) -> Response<Body> {
    let route = format!("{} /results", request.method);
    let event = http_api_event(&request, &route, "test-request").to_string();
    handle(client, config, lambda_http::request::from_str(&event).unwrap()).await
}

fn body_json(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

#[tokio::test]
async fn counts_are_read_from_the_table() {
    let client = dynamodb();
    let expected = recorded_counts();
    let table = table_with(&client, &expected).await;

    let counts = read_counts(&client, &table).await.unwrap();

    let read: BTreeMap<String, u64> = counts.iter().map(|c| (c.driver.clone(), c.votes)).collect();
    assert_eq!(read, expected);
    assert!(counts.iter().all(|c| c.updated_at.is_some()));
}

/// A Scan answers one page of at most 1 MB and, when there is more, the key
/// to go on from. Here the pages are made small (five items), as a big table's
/// are: every page must be read.
#[tokio::test]
async fn counts_are_read_across_every_page_of_the_scan() {
    let expected = recorded_counts();
    let table = table_with(&dynamodb(), &expected).await;
    let small_pages = dynamodb_with(EditInput::new(|scan: &mut ScanInput| scan.limit = Some(5)));

    let counts = read_counts(&small_pages, &table).await.unwrap();

    let read: BTreeMap<String, u64> = counts.iter().map(|c| (c.driver.clone(), c.votes)).collect();
    assert_eq!(read, expected, "{} drivers, in pages of 5", expected.len());
}

/// The last page has no `LastEvaluatedKey`; an empty one means the same, and
/// going on from it would start the Scan again (or be refused).
#[tokio::test]
async fn an_empty_last_evaluated_key_ends_the_scan_too() {
    let expected = recorded_counts();
    let table = table_with(&dynamodb(), &expected).await;
    let empty_key = EditOutput::new(|page: &mut ScanOutput| {
        if page.last_evaluated_key.is_none() {
            page.last_evaluated_key = Some(Default::default());
        }
    });

    let counts = read_counts(&dynamodb_with(empty_key.clone()), &table).await.unwrap();

    assert_eq!(counts.len(), expected.len());
    assert_eq!(empty_key.edited(), 1, "one page, and no second Scan");
}

#[test]
fn results_list_the_whole_grid_most_votes_first_with_percentages() {
    let counts: Vec<Count> = recorded_counts()
        .into_iter()
        .map(|(driver, votes)| Count {
            driver,
            votes,
            updated_at: Some("2026-07-05T15:40:00+00:00".into()),
        })
        .collect();

    let results = summarize(&counts);

    assert_eq!(results.total, 211);
    assert_eq!(results.results.len(), 22, "every driver, even without votes");
    assert!(results.results.windows(2).all(|w| w[0].votes >= w[1].votes));
    insta::assert_json_snapshot!(results);
}

#[test]
fn no_votes_yet_is_a_valid_answer() {
    let results = summarize(&[]);

    assert_eq!((results.total, results.updated_at.clone()), (0, None));
    assert!(results.results.iter().all(|r| r.votes == 0 && r.percent == 0.0));
    assert_eq!(results.results[0].driver, "NOR", "ties keep the grid order");
}

/// A count the table holds for a driver not on the grid (a test, an old
/// season) is no result: it is not listed, and it is not in the total, or the
/// listed shares would not add up to 100 %.
#[test]
fn a_count_for_a_driver_not_on_the_grid_is_ignored_in_the_total_too() {
    let count = |driver: &str, votes| Count { driver: driver.into(), votes, updated_at: None };

    let results = summarize(&[count("VER", 3), count("ZZZ", 5)]);

    assert_eq!(results.total, 3);
    assert!(results.results.iter().all(|r| r.driver != "ZZZ"));
    let verstappen = results.results.iter().find(|r| r.driver == "VER").unwrap();
    assert_eq!((verstappen.votes, verstappen.percent), (3, 100.0));
}

#[tokio::test]
async fn get_results_answers_json_fresh_enough_for_polling() {
    let client = dynamodb();
    let table = table_with(&client, &recorded_counts()).await;
    let config = ApiConfig { table, allowed_origins: vec![ORIGIN.into()] };

    let response =
        get(&client, &config, HttpRequest::new("GET", "/results").header("Origin", ORIGIN)).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "public, max-age=1");
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN);
    let body = body_json(&response);
    assert_eq!(body["total"], 211);
    assert_eq!(body["updatedAt"], "2026-07-05T15:52:00+00:00", "the newest count's time");
    // PIA and HAM tie at 20: the grid order decides.
    assert_eq!(body["results"][0]["driver"], "PIA");
    assert_eq!(body["results"][0]["name"], "Oscar Piastri");
}

#[tokio::test]
async fn only_get_is_allowed() {
    let client = dynamodb();
    let config =
        ApiConfig { table: unique_name("day08-unused"), allowed_origins: vec![ORIGIN.into()] };

    let request = HttpRequest::new("POST", "/results").header("Origin", ORIGIN);
    let response = get(&client, &config, request).await;

    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET");
    assert!(body_json(&response)["message"].as_str().unwrap().contains("GET"));
    // A browser reads an error only with the CORS header: without it, the
    // page sees an opaque failure.
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN, "CORS on a 405 too");
}

#[tokio::test]
async fn a_failure_behind_the_api_is_a_500_that_reveals_nothing() {
    let client = dynamodb();
    let config =
        ApiConfig { table: unique_name("day08-missing"), allowed_origins: vec![ORIGIN.into()] };

    let request = HttpRequest::new("GET", "/results").header("Origin", ORIGIN);
    let response = get(&client, &config, request).await;

    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN, "CORS on a 500 too");
    assert_eq!(
        body_json(&response),
        serde_json::json!({ "message": "the results could not be read; please try again" })
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
}
