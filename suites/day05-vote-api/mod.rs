//! What day 05's vote API must answer. Requests are API Gateway HTTP API
//! events (payload 2.0), built as API Gateway builds them
//! (`pitlane::apigw`); votes go to a stream on the local Kinesis.

use lambda_http::{Body, Request, Response};
use pitlane::apigw::{HttpRequest, http_api_event};
use pitlane::votes::Vote;
use pitlane_testkit::{kinesis, read_all, stream_with_shards, unique_name};
use serde_json::{Value, json};

use crate::sut::{ApiConfig, MAX_BODY_BYTES, MAX_IDENTITY_CHARS, USER_HEADER, handle};

const ORIGIN: &str = "https://vote.pitlane.example";

/// A `POST /vote` as a fan signed in as `fan-0042` sends it.
fn vote_request(body: &str) -> HttpRequest {
    HttpRequest::new("POST", "/vote")
        .header("Content-Type", "application/json")
        .body(body)
        .jwt_subject("fan-0042")
}

fn to_lambda(request: &HttpRequest) -> Request {
    let route = format!("{} /vote", request.method);
    lambda_http::request::from_str(&http_api_event(request, &route, "test-request").to_string())
        .expect("a valid API Gateway event")
}

async fn api(prefix: &str) -> (aws_sdk_kinesis::Client, ApiConfig) {
    let client = kinesis();
    let stream = unique_name(prefix);
    stream_with_shards(&client, &stream, 2).await;
    let config =
        ApiConfig { stream, allowed_origins: vec![ORIGIN.to_owned()], trust_user_header: false };
    (client, config)
}

async fn call(
    client: &aws_sdk_kinesis::Client,
    config: &ApiConfig,
    request: &HttpRequest,
) -> Response<Body> {
    handle(client, config, to_lambda(request)).await
}

fn body_json(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("a JSON body")
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn a_valid_vote_is_accepted_and_put_into_the_stream_keyed_by_the_voter() {
    let (client, config) = api("day05-ok").await;

    let before = chrono::Utc::now();
    let response = call(&client, &config, &vote_request(r#"{"vote": "NOR"}"#)).await;
    let after = chrono::Utc::now();

    assert_eq!(response.status(), 202);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let body = body_json(&response);
    assert_eq!((body["accepted"].as_bool(), body["vote"].as_str()), (Some(true), Some("NOR")));
    let stored = read_all(&client, &config.stream).await;
    assert_eq!(stored.len(), 1);
    let (_, record) = &stored[0];
    assert_eq!(body["sequenceNumber"], record.sequence_number());
    assert_eq!(record.partition_key(), Some("fan-0042"), "the partition key is the voter");
    let vote: Vote = serde_json::from_slice(record.data().as_ref()).unwrap();
    assert_eq!((vote.vote.as_str(), vote.user.as_str()), ("NOR", "fan-0042"));
    // (A millisecond of slack: a time may be kept to the millisecond.)
    let slack = chrono::Duration::milliseconds(1);
    assert!(
        before - slack <= vote.voted_at && vote.voted_at <= after + slack,
        "votedAt {} is not when the vote arrived (between {before} and {after})",
        vote.voted_at
    );
}

/// The body limit is inclusive: a vote padded to exactly `MAX_BODY_BYTES`
/// (JSON may carry spaces) is still a vote; one byte more is a 413.
#[tokio::test]
async fn a_body_of_exactly_the_limit_is_read_one_byte_more_is_too_large() {
    let (client, config) = api("day05-limit").await;
    let padded = |size: usize| format!("{:<size$}", r#"{"vote": "NOR"}"#);

    let at_limit = call(&client, &config, &vote_request(&padded(MAX_BODY_BYTES))).await;
    let over = call(&client, &config, &vote_request(&padded(MAX_BODY_BYTES + 1))).await;

    assert_eq!(at_limit.status(), 202, "{MAX_BODY_BYTES} bytes: within the limit");
    assert_eq!(over.status(), 413, "{} bytes: over it", MAX_BODY_BYTES + 1);
}

/// The voter keys the record, and Kinesis refuses a partition key over 256
/// characters: such an identity is the caller's mistake, a 400 said now,
/// not a write that fails as a 500.
#[tokio::test]
async fn an_identity_too_long_to_key_a_record_is_a_400_and_nothing_is_written() {
    let (client, config) = api("day05-identity").await;
    let signed_in_as =
        |sub: String| HttpRequest { jwt_subject: Some(sub), ..vote_request(r#"{"vote": "NOR"}"#) };

    let longest = call(&client, &config, &signed_in_as("f".repeat(MAX_IDENTITY_CHARS))).await;
    assert_eq!(longest.status(), 202, "{MAX_IDENTITY_CHARS} characters key a record");
    let too_long = call(&client, &config, &signed_in_as("f".repeat(MAX_IDENTITY_CHARS + 1))).await;
    // Kinesis counts a key's characters as Java does, in UTF-16 units: an
    // emoji is two of them, so 129 emoji are 258, though 129 Rust `char`s.
    let emoji = call(&client, &config, &signed_in_as("🏎".repeat(MAX_IDENTITY_CHARS / 2 + 1))).await;

    assert_eq!(too_long.status(), 400);
    let message = body_json(&too_long)["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("identity") && message.contains("256"), "{message:?}");
    assert_eq!(
        emoji.status(),
        400,
        "129 emoji are 258 characters as Kinesis counts them (UTF-16 units), over its 256: \
         count with encode_utf16(), not chars()"
    );
    assert_eq!(read_all(&client, &config.stream).await.len(), 1, "only the valid vote was written");
}

/// Requests as browsers and API Gateway really send them, and the order of
/// the checks: who is asking comes before what they sent.
#[tokio::test]
async fn the_checks_read_requests_as_they_arrive_and_ask_who_first() {
    let (client, config) = api("day05-real").await;
    let trusting = ApiConfig { trust_user_header: true, ..config.clone() };
    let status = |response: Response<Body>| response.status().as_u16();

    let with_charset = vote_request(r#"{"vote": "NOR"}"#)
        .header("Content-Type", "application/json; charset=utf-8");
    let with_charset =
        HttpRequest { headers: with_charset.headers.into_iter().skip(1).collect(), ..with_charset };
    assert_eq!(
        status(call(&client, &config, &with_charset).await),
        202,
        "a media type with parameters"
    );
    let capitals = vote_request(r#"{"vote": "NOR"}"#);
    let capitals =
        HttpRequest { headers: vec![], ..capitals }.header("Content-Type", "Application/JSON");
    assert_eq!(
        status(call(&client, &config, &capitals).await),
        202,
        "media types are case-insensitive: Application/JSON is JSON"
    );
    let large_and_plain = vote_request(&" ".repeat(MAX_BODY_BYTES + 1));
    let large_and_plain =
        HttpRequest { headers: vec![], ..large_and_plain }.header("Content-Type", "text/plain");
    assert_eq!(
        status(call(&client, &config, &large_and_plain).await),
        415,
        "the media type is checked before the size (the table's order)"
    );

    let accented = HttpRequest {
        jwt_subject: Some("é".repeat(MAX_IDENTITY_CHARS)),
        ..vote_request(r#"{"vote": "NOR"}"#)
    };
    assert_eq!(
        status(call(&client, &config, &accented).await),
        202,
        "{MAX_IDENTITY_CHARS} characters (of two bytes each) still key a record"
    );

    let unsigned_and_bad = HttpRequest { jwt_subject: None, ..vote_request("vote=NOR") };
    assert_eq!(
        status(call(&client, &config, &unsigned_and_bad).await),
        401,
        "who is asking, first"
    );

    let blank = HttpRequest { jwt_subject: None, ..vote_request(r#"{"vote": "NOR"}"#) }
        .header(USER_HEADER, "   ");
    assert_eq!(status(call(&client, &trusting, &blank).await), 401, "a blank name is nobody");
    let blank_sub =
        HttpRequest { jwt_subject: Some("  ".to_owned()), ..vote_request(r#"{"vote": "NOR"}"#) };
    assert_eq!(
        status(call(&client, &config, &blank_sub).await),
        401,
        "a JWT whose sub is blank names nobody either"
    );

    assert_eq!(read_all(&client, &config.stream).await.len(), 3, "only the three valid votes");
}

#[tokio::test]
async fn bad_requests_get_a_clear_4xx_and_nothing_is_written() {
    let (client, config) = api("day05-bad").await;
    let huge = format!(r#"{{"vote": "NOR", "padding": "{}"}}"#, "x".repeat(MAX_BODY_BYTES));
    let cases: Vec<(&str, HttpRequest)> = vec![
        ("not JSON", vote_request("vote=NOR")),
        ("empty body", vote_request("")),
        ("JSON, not an object", vote_request(r#"["NOR"]"#)),
        ("no vote", vote_request(r#"{}"#)),
        ("vote is a number", vote_request(r#"{"vote": 44}"#)),
        ("vote is null", vote_request(r#"{"vote": null}"#)),
        ("unknown driver", vote_request(r#"{"vote": "XYZ"}"#)),
        ("empty vote", vote_request(r#"{"vote": ""}"#)),
        ("a user in the body", vote_request(r#"{"vote": "NOR", "user": "fan-0001"}"#)),
        ("vote given twice", vote_request(r#"{"vote": "NOR", "vote": "VER"}"#)),
        ("truncated JSON", vote_request(r#"{"vote": "NO"#)),
        ("not UTF-8", HttpRequest { body: vec![0x7b, 0xff, 0x7d], ..vote_request("") }),
        ("too large", vote_request(&huge)),
        ("no content type", HttpRequest { headers: vec![], ..vote_request(r#"{"vote": "NOR"}"#) }),
        (
            "form content type",
            vote_request(r#"{"vote": "NOR"}"#).header("Content-Type", "text/plain"),
        ),
        ("GET", HttpRequest { method: "GET".into(), ..vote_request("") }),
        ("DELETE", HttpRequest { method: "DELETE".into(), ..vote_request("") }),
        (
            "nobody signed in",
            HttpRequest { jwt_subject: None, ..vote_request(r#"{"vote": "NOR"}"#) },
        ),
        (
            "an untrusted user header",
            HttpRequest { jwt_subject: None, ..vote_request(r#"{"vote": "NOR"}"#) }
                .header(USER_HEADER, "fan-0001"),
        ),
    ];

    let mut answers = serde_json::Map::new();
    for (case, request) in &cases {
        let response = call(&client, &config, request).await;
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{case}: {status}");
        let message = body_json(&response)["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.len() > 10, "{case}: the message must say what is wrong: {message:?}");
        answers.insert(case.to_string(), json!({ "status": status, "message": message }));
    }

    assert!(read_all(&client, &config.stream).await.is_empty(), "a refused request wrote a record");
    insta::assert_json_snapshot!(answers);
}

/// A page reads an answer only if it carries `Access-Control-Allow-Origin`
/// for the page's origin; and a client parses the body as JSON when the
/// answer says it is. A refusal is an answer the page must read: it says
/// what went wrong.
#[tokio::test]
async fn every_refusal_is_json_that_the_page_can_read() {
    let (client, config) = api("day05-refusals-cors").await;
    let broken = ApiConfig { stream: unique_name("day05-no-stream"), ..config.clone() };
    let from_page = |request: HttpRequest| request.header("Origin", ORIGIN);
    let vote = || vote_request(r#"{"vote": "NOR"}"#);
    let cases: Vec<(&str, &ApiConfig, HttpRequest)> = vec![
        ("a PUT", &config, HttpRequest { method: "PUT".into(), ..vote() }),
        ("nobody signed in", &config, HttpRequest { jwt_subject: None, ..vote() }),
        ("text/plain", &config, vote().header("Content-Type", "text/plain")),
        ("too large", &config, vote_request(&" ".repeat(MAX_BODY_BYTES + 1))),
        ("an unknown driver", &config, vote_request(r#"{"vote": "XYZ"}"#)),
        ("the stream missing", &broken, vote()),
    ];

    for (case, config, request) in cases {
        let response = call(&client, config, &from_page(request)).await;
        let status = response.status().as_u16();

        assert!(status >= 400, "{case}: answered {status}, not a refusal");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some(ORIGIN),
            "the {status} has no CORS headers: a browser cannot read it, and the page \
             cannot say why the vote was refused"
        );
        assert_eq!(
            header(&response, "content-type"),
            Some("application/json"),
            "the {status} does not say its body is JSON (Content-Type)"
        );
        assert!(body_json(&response)["message"].is_string(), "the {status} has no message");
    }
}

#[tokio::test]
async fn a_method_other_than_post_says_which_methods_are_allowed() {
    let (client, config) = api("day05-allow").await;

    let response =
        call(&client, &config, &HttpRequest { method: "PUT".into(), ..vote_request("") }).await;

    assert_eq!(response.status(), 405);
    assert_eq!(header(&response, "allow"), Some("POST, OPTIONS"));
}

#[tokio::test]
async fn the_demo_header_names_the_voter_only_when_trusted_and_never_over_a_jwt() {
    let (client, config) = api("day05-header").await;
    let demo = ApiConfig { trust_user_header: true, ..config.clone() };
    let header_only = HttpRequest { jwt_subject: None, ..vote_request(r#"{"vote": "VER"}"#) }
        .header(USER_HEADER, "fan-0007");
    let both = vote_request(r#"{"vote": "HAM"}"#).header(USER_HEADER, "fan-0007");

    let trusted = call(&client, &demo, &header_only).await;
    let jwt_wins = call(&client, &demo, &both).await;

    assert_eq!((trusted.status().as_u16(), jwt_wins.status().as_u16()), (202, 202));
    let keys: Vec<_> = read_all(&client, &config.stream)
        .await
        .iter()
        .map(|(_, r)| r.partition_key().unwrap().to_owned())
        .collect();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, ["fan-0007", "fan-0042"]);
}

#[tokio::test]
async fn driver_ids_are_read_case_insensitively() {
    let (client, config) = api("day05-case").await;

    let response = call(&client, &config, &vote_request(r#"{"vote": " nor "}"#)).await;

    assert_eq!(response.status(), 202);
    assert_eq!(body_json(&response)["vote"], "NOR");
}

#[tokio::test]
async fn a_cors_preflight_from_an_allowed_origin_is_answered() {
    let (client, config) = api("day05-cors").await;
    let preflight = HttpRequest::new("OPTIONS", "/vote")
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST");
    let stranger = HttpRequest::new("OPTIONS", "/vote").header("Origin", "https://evil.example");

    let allowed = call(&client, &config, &preflight).await;
    let refused = call(&client, &config, &stranger).await;
    let vote =
        call(&client, &config, &vote_request(r#"{"vote": "LEC"}"#).header("Origin", ORIGIN)).await;

    assert_eq!(allowed.status(), 204);
    assert_eq!(header(&allowed, "access-control-allow-origin"), Some(ORIGIN));
    assert!(header(&allowed, "access-control-allow-methods").unwrap().contains("POST"));
    assert!(header(&allowed, "access-control-allow-headers").unwrap().contains("content-type"));
    assert_eq!(header(&refused, "access-control-allow-origin"), None, "not `*` by default");
    assert_eq!(header(&vote, "access-control-allow-origin"), Some(ORIGIN));
}

#[tokio::test]
async fn a_failure_behind_the_api_is_a_500_that_reveals_nothing() {
    let client = kinesis();
    let config = ApiConfig {
        stream: unique_name("day05-missing"),
        allowed_origins: vec![],
        trust_user_header: false,
    };

    let response = call(&client, &config, &vote_request(r#"{"vote": "NOR"}"#)).await;

    assert_eq!(
        response.status(),
        500,
        "the stream is missing: the vote could not be written, which is the API's failure (500), \
         not the caller's (4xx)"
    );
    let body = body_json(&response);
    assert_eq!(body, json!({ "message": "the vote could not be recorded; please try again" }));
}
