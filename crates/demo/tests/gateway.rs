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
