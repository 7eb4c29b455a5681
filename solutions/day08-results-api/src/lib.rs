//! # Day 08 — the results API
//!
//! The dashboard polls `GET /results` every second or two. This Lambda
//! function reads the `Results` table that day 07 keeps up to date and
//! answers with everything the page draws:
//!
//! ```json
//! { "total": 211, "updatedAt": "2026-07-05T15:40:02+00:00",
//!   "results": [ { "driver": "PIA", "name": "Oscar Piastri", "team": "McLaren",
//!                  "votes": 20, "percent": 9.5 }, ... ] }
//! ```
//!
//! - every driver of the grid is listed, with 0 votes if none yet, sorted by
//!   votes (most first; ties in grid order), so the page never guesses;
//! - percentages are computed here, once, with one decimal;
//! - `updatedAt` is the newest count's time: the page shows how fresh it is;
//! - `Cache-Control: max-age=1`: a shared cache in front of the API (a CDN
//!   such as CloudFront, which `template.yaml` does not deploy) may reuse an
//!   answer for a second, and a crowd of viewers then costs one table scan
//!   per second, not one each. A browser polling every 1.5 s never reuses
//!   its own copy: it is always older than a second.
//!
//! The table has one item per driver (22), so a `Scan` is cheap; it is still
//! read page by page, as any Scan must be.
//~!
//~! Work through the `TODO`s from top to bottom, then run `just check 08`.
//~! The chapter "Day 08" of the book explains each step; `just hint 08` gives
//~! a hint, one level at a time.

pub mod lambda;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
// solution:
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
// end solution
use lambda_http::{Body, Request, Response};
use pitlane::apigw::json_response;
use pitlane::aws::DynamoDbError;
use pitlane::votes::grid;
use serde::Serialize;
use serde_json::json;

/// The environment variables of the function.
pub const TABLE_ENV: &str = "RESULTS_TABLE";
pub const ALLOWED_ORIGINS_ENV: &str = "ALLOWED_ORIGINS";

/// How the API is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiConfig {
    pub table: String,
    /// Web origins allowed to read the results from a browser; `*` for any.
    pub allowed_origins: Vec<String>,
}

impl ApiConfig {
    pub fn from_env() -> Result<Self, String> {
        let table = std::env::var(TABLE_ENV)
            .map_err(|_| format!("set {TABLE_ENV} to the results table's name"))?;
        let origins = std::env::var(ALLOWED_ORIGINS_ENV).unwrap_or_default();
        Ok(Self { table, allowed_origins: pitlane::apigw::comma_separated(&origins) })
    }
}

/// One driver's count, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    pub driver: String,
    pub votes: u64,
    pub updated_at: Option<String>,
}

/// One line of the results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriverResult {
    pub driver: String,
    pub name: String,
    pub team: String,
    pub votes: u64,
    /// Share of all votes, in percent, one decimal.
    pub percent: f64,
}

/// The answer of `GET /results`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Results {
    pub total: u64,
    pub updated_at: Option<String>,
    pub results: Vec<DriverResult>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error(transparent)]
    DynamoDb(#[from] DynamoDbError),
}

// ANCHOR: read_counts
/// Every count in the table, page after page of `Scan`. The items are day
/// 06's: `driver` (a string), `votes` (a number) and `updatedAt` (a string,
/// possibly missing); an item without a driver or a number of votes is
/// skipped.
pub async fn read_counts(client: &Client, table: &str) -> Result<Vec<Count>, ResultsError> {
    //~ TODO 1: read every count, however many pages the table takes: a Scan
    //~   answers one page at a time (1 MB at most) and tells you where the
    //~   next page starts, until it says none is left. Turn each item into a
    //~   `Count`. Chapter: «Day 08 › A complete, ordered answer»; docs:
    //~   https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/operation/scan/builders/struct.ScanFluentBuilder.html
    // solution: todo!("day 08: read the counts")
    let mut counts = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(DynamoDbError::from)?;
        for item in page.items() {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            let votes = item.get("votes").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok());
            if let (Some(driver), Some(votes)) = (text("driver"), votes) {
                counts.push(Count { driver, votes, updated_at: text("updatedAt") });
            }
        }
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return Ok(counts),
        }
    }
    // end solution
}
// ANCHOR_END: read_counts

// ANCHOR: summarize
/// The results of the whole grid from the stored counts.
pub fn summarize(counts: &[Count]) -> Results {
    //~ TODO 2: the answer the page draws as is (top of this file): the whole
    //~   grid — the grid decides who is listed and counted, not the table (a
    //~   count for a driver off the grid is in neither the list nor the total) —
    //~   each with its votes and share to one decimal (nobody voted yet is a valid answer,
    //~   not a division by zero), most votes first with ties in grid order,
    //~   and the newest count's time. Chapter: «Day 08 › A complete, ordered answer».
    // solution: todo!("day 08: summarize the results")
    let votes_of =
        |id: &str| counts.iter().filter(|c| c.driver == id).map(|c| c.votes).sum::<u64>();
    let total: u64 = grid().iter().map(|driver| votes_of(&driver.id)).sum();
    let mut results: Vec<DriverResult> = grid()
        .iter()
        .map(|driver| {
            let votes = votes_of(&driver.id);
            let percent = if total == 0 {
                0.0
            } else {
                (votes as f64 * 1000.0 / total as f64).round() / 10.0
            };
            DriverResult {
                driver: driver.id.clone(),
                name: driver.name.clone(),
                team: driver.team.clone(),
                votes,
                percent,
            }
        })
        .collect();
    // A stable sort keeps the grid order between equal counts.
    results.sort_by_key(|result| std::cmp::Reverse(result.votes));
    // RFC 3339 times in UTC sort as text.
    let updated_at = counts.iter().filter_map(|c| c.updated_at.clone()).max();
    Results { total, updated_at, results }
    // end solution
}
// ANCHOR_END: summarize

// ANCHOR: handle
/// The Lambda handler. It never fails: every outcome is an HTTP answer, in
/// JSON (see [`json_response`]), with the CORS headers when the request's
/// origin is allowed:
///
/// - any method but GET: 405, with the header `Allow: GET` and
///   `{"message": "use GET to read the results"}`;
/// - the results: 200, the [`Results`], and `Cache-Control: public, max-age=1`;
/// - the table could not be read: 500, never cached, and
///   `{"message": "the results could not be read; please try again"}`.
pub async fn handle(client: &Client, config: &ApiConfig, request: Request) -> Response<Body> {
    //~ TODO 3: give the three answers above. Only the results may be cached,
    //~   for a second, so a crowd polling costs one Scan a second; a failure
    //~   goes to the logs and tells the caller nothing of its cause. Every
    //~   answer goes through `with_cors` (below); `pitlane::apigw::json_response`
    //~   makes an answer that says "never cache me" unless you say otherwise. Chapter: «Day 08 › Polling,
    //~   cheaply»; docs: https://docs.rs/http/latest/http/response/struct.Response.html
    // solution: todo!("day 08: the handler")
    let response = if request.method() != Method::GET {
        let mut response = json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "message": "use GET to read the results" }),
        );
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET"));
        response
    } else {
        match read_counts(client, &config.table).await {
            Ok(counts) => {
                let mut response = json_response(StatusCode::OK, json!(summarize(&counts)));
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=1"));
                response
            }
            Err(error) => {
                tracing::error!(%error, "reading the results failed");
                json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "message": "the results could not be read; please try again" }),
                )
            }
        }
    };
    with_cors(response, &request, config)
    // end solution
}
// ANCHOR_END: handle

/// The answer with the CORS headers for the request's origin, if allowed.
fn with_cors(response: Response<Body>, request: &Request, config: &ApiConfig) -> Response<Body> {
    pitlane::apigw::with_cors(response, request, &config.allowed_origins)
}
