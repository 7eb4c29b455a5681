//! API Gateway HTTP API events (payload format 2.0).
//!
//! An HTTP API turns each HTTP request into a JSON event and invokes a Lambda
//! function with it; `lambda_http` turns that event back into an
//! `http::Request`. The local gateway (and the tests) build the very same
//! event from a request, so a handler cannot tell them from API Gateway.
//!
//! The APIs' answers are built here too: JSON with the CORS headers a
//! browser needs ([`json_response`], [`with_cors`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};

/// An HTTP request, as the gateway received it.
#[derive(Clone, Debug, Default)]
pub struct HttpRequest {
    pub method: String,
    /// The path without the query string: `/vote`.
    pub path: String,
    /// The raw query string without `?`: `a=1&b=2`.
    pub query: String,
    /// Header names in any case; API Gateway lower-cases them.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The `sub` claim of a JWT authorizer, when the route has one and the
    /// token was valid: the caller's identity.
    pub jwt_subject: Option<String>,
    /// The token's other claims (`iss`, `aud`, `exp`...), as strings.
    pub jwt_claims: Vec<(String, String)>,
    /// When the request arrived.
    pub time: DateTime<Utc>,
}

impl HttpRequest {
    /// A request at the current time.
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            time: Utc::now(),
            ..Self::default()
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn jwt_subject(mut self, subject: &str) -> Self {
        self.jwt_subject = Some(subject.to_owned());
        self
    }
}

/// The HTTP API (payload 2.0) event for `request`, routed to `route_key`
/// (`"POST /vote"`), with `request_id` as API Gateway's request id.
pub fn http_api_event(request: &HttpRequest, route_key: &str, request_id: &str) -> Value {
    // Repeated headers are joined with commas, as API Gateway does.
    let mut headers: Map<String, Value> = Map::new();
    for (name, value) in &request.headers {
        let name = name.to_ascii_lowercase();
        let joined = match headers.get(&name).and_then(Value::as_str) {
            Some(earlier) => format!("{earlier},{value}"),
            None => value.clone(),
        };
        headers.insert(name, Value::String(joined));
    }
    let mut query: Map<String, Value> = Map::new();
    for pair in request.query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        query.insert(key.to_owned(), Value::String(value.to_owned()));
    }
    let (body, is_base64) = match std::str::from_utf8(&request.body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (BASE64.encode(&request.body), true),
    };
    let user_agent = headers.get("user-agent").cloned().unwrap_or(Value::String(String::new()));
    let mut context = json!({
        "accountId": "123456789012",
        "apiId": "pitlane",
        "domainName": "localhost",
        "domainPrefix": "localhost",
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": user_agent,
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": request.time.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": request.time.timestamp_millis(),
    });
    if let Some(subject) = &request.jwt_subject {
        let mut claims: Map<String, Value> = request
            .jwt_claims
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect();
        claims.insert("sub".to_owned(), Value::String(subject.clone()));
        context["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": is_base64,
    });
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !request.body.is_empty() {
        event["body"] = Value::String(body);
    }
    event
}

/// A comma-separated setting (`ALLOWED_ORIGINS=https://a.example, https://b.example`)
/// as a list, blanks dropped.
pub fn comma_separated(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect()
}

/// The request's `Origin`, when the allowed origins name it (or are `*`):
/// the value for `Access-Control-Allow-Origin`. `None` means no CORS header,
/// and the browser refuses the page the answer.
pub fn allowed_origin<'a>(origin: Option<&'a str>, allowed: &[String]) -> Option<&'a str> {
    origin.filter(|origin| allowed.iter().any(|a| a == "*" || a == origin))
}

/// A JSON answer: `status`, `body`, `Content-Type: application/json` and
/// `Cache-Control: no-store` (an API's answer is about now; an answer that
/// may be cached replaces that header).
pub fn json_response(status: StatusCode, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Text(body.to_string()))
        .expect("a static response is valid")
}

/// `response` with `Access-Control-Allow-Origin` (and `Vary: Origin`) when
/// `request` comes from one of the `allowed` origins; unchanged otherwise,
/// and the browser then refuses the page the answer.
pub fn with_cors(
    mut response: Response<Body>,
    request: &Request,
    allowed: &[String],
) -> Response<Body> {
    let origin = request.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok());
    if let Some(value) = allowed_origin(origin, allowed).and_then(|o| HeaderValue::from_str(o).ok())
    {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn settings_and_origins() {
        assert_eq!(
            super::comma_separated(" https://a.example, ,https://b.example "),
            ["https://a.example", "https://b.example"]
        );
        let allowed = super::comma_separated("https://a.example");
        assert_eq!(
            super::allowed_origin(Some("https://a.example"), &allowed),
            Some("https://a.example")
        );
        assert_eq!(super::allowed_origin(Some("https://evil.example"), &allowed), None);
        assert_eq!(super::allowed_origin(None, &allowed), None);
        assert_eq!(
            super::allowed_origin(Some("https://x.example"), &["*".to_owned()]),
            Some("https://x.example")
        );
    }

    use super::*;

    #[test]
    fn an_event_carries_the_request() {
        let request = HttpRequest::new("POST", "/vote")
            .header("Content-Type", "application/json")
            .header("X-Thing", "a")
            .header("x-thing", "b")
            .body(r#"{"vote":"NOR"}"#)
            .jwt_subject("fan-0042");
        let event =
            http_api_event(&HttpRequest { query: "a=1&b".into(), ..request }, "POST /vote", "r-1");
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["headers"]["content-type"], "application/json");
        assert_eq!(event["headers"]["x-thing"], "a,b");
        assert_eq!(event["queryStringParameters"], json!({"a": "1", "b": ""}));
        assert_eq!(event["body"], r#"{"vote":"NOR"}"#);
        assert_eq!(event["isBase64Encoded"], false);
        assert_eq!(event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"], "fan-0042");
        assert_eq!(event["requestContext"]["http"]["method"], "POST");
    }

    #[test]
    fn a_binary_body_is_base64() {
        let event = http_api_event(
            &HttpRequest::new("POST", "/vote").body(vec![0xff, 0xfe]),
            "POST /vote",
            "r",
        );
        assert_eq!(
            (event["body"].as_str(), event["isBase64Encoded"].as_bool()),
            (Some("//4="), Some(true))
        );
    }
}
