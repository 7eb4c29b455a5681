//! The local gateway behaves as API Gateway's HTTP API does with the
//! template's configuration: routes, the JWT authorizer, CORS, the 10 MB
//! limit, JSON errors. Malformed or unauthorized requests get a 4xx JSON
//! answer and write nothing.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pitlane_demo::System;
use pitlane_demo::crowd::sign_in;
use pitlane_testkit::{kinesis, read_all, workspace_root};
use serde_json::Value;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Answer {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Value,
}

async fn send(
    client: &HttpClient,
    system: &System,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let mut request = hyper::Request::builder().method(method).uri(format!("{}{path}", system.url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response =
        client.request(request.body(Full::new(Bytes::from(body))).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    Answer { status: parts.status, headers: parts.headers, body }
}

const JSON: (&str, &str) = ("content-type", "application/json");
const ORIGIN: (&str, &str) = ("origin", "https://fans.example");

#[tokio::test]
async fn the_gateway_answers_as_api_gateway_does_and_refused_requests_write_nothing() {
    let system = System::start(&workspace_root(), 0).await.unwrap();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let vote = br#"{"vote": "VER"}"#.to_vec();
    let token = sign_in(&client, &system.url, "fan-0042").await.expect("a token");
    let bearer = format!("Bearer {token}");
    let signed_in = ("authorization", bearer.as_str());

    // Refused by the gateway itself, before any function runs.
    let refusals = [
        (
            "GET /vote: no such route",
            send(&client, &system, "GET", "/vote", &[], vec![]).await,
            404,
            "Not Found",
        ),
        (
            "DELETE /results",
            send(&client, &system, "DELETE", "/results", &[], vec![]).await,
            404,
            "Not Found",
        ),
        (
            "no token",
            send(&client, &system, "POST", "/vote", &[JSON], vote.clone()).await,
            401,
            "Unauthorized",
        ),
        (
            "a forged token",
            send(
                &client,
                &system,
                "POST",
                "/vote",
                &[JSON, ("authorization", "Bearer e30.e30.AAAA")],
                vote.clone(),
            )
            .await,
            401,
            "Unauthorized",
        ),
        (
            "the demo header instead of a token",
            send(
                &client,
                &system,
                "POST",
                "/vote",
                &[JSON, ("x-pitlane-user", "fan-0001")],
                vote.clone(),
            )
            .await,
            401,
            "Unauthorized",
        ),
        (
            "a body over 10 MB",
            send(
                &client,
                &system,
                "POST",
                "/vote",
                &[JSON, signed_in],
                vec![b' '; 10 * 1024 * 1024 + 1],
            )
            .await,
            413,
            "Request Entity Too Large",
        ),
        (
            "an unknown path",
            send(&client, &system, "GET", "/nope", &[], vec![]).await,
            404,
            "Not Found",
        ),
    ];
    for (case, answer, status, message) in &refusals {
        assert_eq!(answer.status.as_u16(), *status, "{case}");
        assert_eq!(answer.body["message"], *message, "{case}: a JSON error body");
    }

    // Refused by the function: a body the gateway passes on (under 10 MB)
    // but the vote API does not want (over 1 KiB).
    let large = send(&client, &system, "POST", "/vote", &[JSON, signed_in], vec![b' '; 2048]).await;
    assert_eq!(large.status, 413);
    assert!(large.body["message"].as_str().unwrap().len() > 10, "the function's own message");

    // A valid vote: the function gets the token's claims.
    let accepted =
        send(&client, &system, "POST", "/vote", &[JSON, signed_in, ORIGIN], vote.clone()).await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    assert_eq!(
        accepted.headers["access-control-allow-origin"], "https://fans.example",
        "set by the gateway"
    );

    // CORS preflights are the gateway's, from the template's CorsConfiguration.
    let preflight = send(
        &client,
        &system,
        "OPTIONS",
        "/vote",
        &[
            ORIGIN,
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "authorization"),
        ],
        vec![],
    )
    .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.headers["access-control-allow-methods"], "GET,POST,OPTIONS");
    assert!(
        preflight.headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    assert_eq!(preflight.headers["access-control-max-age"], "600");

    let results = send(&client, &system, "GET", "/results", &[], vec![]).await;
    assert_eq!(results.status, 200, "GET /results has no authorizer");

    // Only the one valid vote reached the stream, keyed by the token's subject.
    let records = read_all(&kinesis(), &system.names.stream).await;
    assert_eq!(records.len(), 1, "a refused request wrote a record");
    assert_eq!(records[0].1.partition_key(), Some("fan-0042"));
    system.stop().await.unwrap();
}

#[tokio::test]
async fn a_route_is_throttled_past_its_burst_with_a_json_429_and_a_vote_is_retried_not_lost() {
    let system = System::start(&workspace_root(), 0).await.unwrap();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    // The template lets a route take a burst of 200 and 100 a second after
    // it. 400 requests at once: at most 200 plus what refilled meanwhile go
    // through, and the others get API Gateway's 429.
    let started = std::time::Instant::now();
    let requests = (0..400).map(|_| send(&client, &system, "GET", "/results", &[ORIGIN], vec![]));
    let answers = futures::future::join_all(requests).await;
    let elapsed = started.elapsed().as_secs_f64();
    let ok = answers.iter().filter(|a| a.status == 200).count();
    let throttled: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!(ok + throttled.len(), 400, "only 200s and 429s");
    assert!(ok as f64 <= 200.0 + 100.0 * elapsed + 1.0, "{ok} through in {elapsed:.2} s");
    if elapsed < 1.5 {
        // Fewer than 350 tokens could exist: some were refused.
        assert!(!throttled.is_empty(), "{ok} through in {elapsed:.2} s");
    }
    for answer in throttled {
        assert_eq!(answer.body["message"], "Too Many Requests");
        assert!(answer.headers.contains_key("access-control-allow-origin"), "CORS on a 429 too");
    }

    // A vote met with 429 is sent again after a backoff, and counted once.
    let token = sign_in(&client, &system.url, "fan-patient").await.unwrap();
    let url = format!("{}/vote", system.url);
    let (accepted, _) = pitlane_demo::crowd::post_vote_retrying(&client, &url, "NOR", &token).await;
    assert!(accepted, "retried until the bucket refilled");
    system.wait_for(1, std::time::Duration::from_secs(30)).await.unwrap();
    system.stop().await.unwrap();
}

#[tokio::test]
async fn an_event_over_lambdas_6_mb_invoke_limit_never_reaches_the_function() {
    let system = System::start(&workspace_root(), 0).await.unwrap();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let token = sign_in(&client, &system.url, "fan-0007").await.unwrap();
    let bearer = format!("Bearer {token}");
    // 7 MB: under the HTTP API's 10 MB, over Lambda's 6 MB payload.
    let answer = send(
        &client,
        &system,
        "POST",
        "/vote",
        &[JSON, ("authorization", &bearer)],
        vec![b' '; 7 * 1024 * 1024],
    )
    .await;
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.body["message"], "Request Entity Too Large",
        "the gateway's, not the function's"
    );
    system.stop().await.unwrap();
}

#[tokio::test]
async fn a_function_past_its_timeout_is_stopped_and_the_caller_gets_a_json_500() {
    // The template with the API functions' `Timeout` at 0 s: every call
    // outlasts it.
    let root = std::env::temp_dir().join(pitlane_testkit::unique_name("gateway-timeout"));
    std::fs::create_dir_all(&root).unwrap();
    let template = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    let zero = template.replace("      Timeout: 5\n", "      Timeout: 0\n");
    assert_ne!(zero, template, "the API functions have a Timeout");
    std::fs::write(root.join("template.yaml"), zero).unwrap();
    let system = System::start(&root, 0).await.unwrap();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();

    let answer = send(&client, &system, "GET", "/results", &[ORIGIN], vec![]).await;

    assert_eq!(answer.status, 500);
    assert_eq!(answer.body["message"], "Internal Server Error");
    system.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&root);
}

/// `just demo --lan` (here on loopback, as every test): the gateway serves
/// the vote page's address, and its QR code for the projector view; on
/// loopback, without a room, neither exists.
#[tokio::test]
async fn a_live_vote_in_a_room_serves_the_vote_pages_address_and_its_qr_code() {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let loopback = std::net::Ipv4Addr::LOCALHOST.into();
    let room = System::start_on(&workspace_root(), loopback, 0, 1, true).await.unwrap();
    let answer = send(&client, &room, "GET", "/local-classroom", &[], Vec::new()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["voteUrl"], format!("{}/vote.html", room.url));

    let request = hyper::Request::get(format!("{}/local-qr.svg", room.url))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&svg).contains("<svg"));
    room.stop().await.unwrap();

    let plain = System::start(&workspace_root(), 0).await.unwrap();
    let answer = send(&client, &plain, "GET", "/local-classroom", &[], Vec::new()).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    plain.stop().await.unwrap();
}
