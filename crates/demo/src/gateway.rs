//! A local API Gateway on loopback, behaving as the HTTP API that
//! `template.yaml` declares (its routes, CORS and JWT authorizer are read from
//! the template: one source).
//!
//! - **Routes.** A request to a route becomes an API Gateway (payload 2.0)
//!   event and the route's function is invoked with it — here the very
//!   handler function the Lambda binary wraps, in this process. A path that
//!   has routes, asked with another method, gets API Gateway's
//!   `404 {"message":"Not Found"}`: the function never sees it.
//! - **The authorizer.** A route behind the JWT authorizer needs a valid
//!   token in its identity-source header, or the gateway answers
//!   `401 {"message":"Unauthorized"}` before the function runs; the
//!   function gets the token's claims in `requestContext.authorizer.jwt`.
//!   Tokens come from the local identity provider (`POST /local-sign-in`,
//!   see `local_idp.rs`), the demo's stand-in for Cognito.
//! - **CORS.** The gateway answers preflights itself, and sets the CORS
//!   headers of every answer, replacing the function's, as API Gateway does
//!   with a `CorsConfiguration`.
//! - **Limits.** A body of up to 10 MB is passed on; a larger one gets
//!   `413 {"message":"Request Entity Too Large"}`. The event must also fit
//!   Lambda's 6 MB synchronous invoke payload, or the function is never run
//!   (413 too, as Lambda's `RequestEntityTooLargeException`). Each route is
//!   throttled as the template's `DefaultRouteSettings` say, with API
//!   Gateway's token bucket: past its burst and rate, `429
//!   {"message":"Too Many Requests"}`. A function that runs past its
//!   `Timeout` is stopped and the caller gets `500 {"message":"Internal
//!   Server Error"}`, as a timed-out Lambda function gives. Every error is
//!   JSON.
//!
//! It also serves the web pages (`web/`) and the grid (`data/grid.json`),
//! as an S3 website would.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use pitlane::apigw::{HttpRequest, http_api_event};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::local_idp::LocalIdp;
use crate::template::{HttpApi, Route, Throttle};

/// The largest body API Gateway's HTTP API passes on: 10 MB.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// Where the page asks the local identity provider for a token.
pub const SIGN_IN_PATH: &str = "/local-sign-in";

/// API Gateway's token bucket for one route: `burst` tokens at most, one
/// taken per request, refilled at `rate_per_second`.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Takes a token at `now`, if there is one.
    fn take(&mut self, throttle: Throttle, now: Instant) -> bool {
        let refill =
            now.saturating_duration_since(self.at).as_secs_f64() * throttle.rate_per_second;
        self.tokens = (self.tokens + refill).min(f64::from(throttle.burst));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The token buckets of the routes, created full on a route's first request.
#[derive(Debug, Default)]
pub struct Throttles {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Throttles {
    /// Whether `route` may take one more request at `now` under `throttle`.
    fn admit(&self, route: &str, throttle: Throttle, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().expect("throttle lock");
        let bucket = buckets
            .entry(route.to_owned())
            .or_insert(Bucket { tokens: f64::from(throttle.burst), at: now });
        bucket.take(throttle, now)
    }
}

/// What the gateway serves.
pub struct Gateway {
    pub kinesis: aws_sdk_kinesis::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub vote_api: day05_vote_api_solution::ApiConfig,
    pub results_api: day08_results_api_solution::ApiConfig,
    /// The HTTP API as `template.yaml` declares it.
    pub api: HttpApi,
    /// The origins CORS allows (the template's `AllowedOrigin` parameter);
    /// `*` for any.
    pub allowed_origins: Vec<String>,
    /// Issues and checks the tokens of the JWT authorizer.
    pub idp: Arc<LocalIdp>,
    /// The folder of the web pages.
    pub web_root: PathBuf,
    /// The season's grid, served as `/grid.json`.
    pub grid_file: PathBuf,
    /// Each route's throttling state.
    pub throttles: Throttles,
    /// The vote consumer's mapping, for `GET /local-lag`: how far behind the
    /// counts are (on AWS, the function's `IteratorAge` metric in CloudWatch).
    pub lag: Option<pitlane_esm::EsmReporter>,
    /// A live vote in a room (`just demo --lan`); `None` on loopback.
    pub classroom: Option<Classroom>,
}

/// A live vote in a room: phones on the local network vote.
pub struct Classroom {
    /// The vote page's address on the local network, for the QR code.
    pub vote_url: String,
    /// The gateway's own address: the instructor's machine (and its crowd)
    /// is not a phone, and is not throttled as one.
    pub host: std::net::IpAddr,
    /// Each phone's `POST /vote` bucket, on top of the route's: one device
    /// cannot take the room's whole share of the API.
    pub per_device: Throttle,
}

/// A phone's share of `POST /vote` in a room: 5 at once, then one every 2 s.
/// A fan votes once; the rest are duplicates, refused anyway.
pub const PER_DEVICE: Throttle = Throttle { rate_per_second: 0.5, burst: 5 };

/// Where the dashboard asks how far behind the counts are (local only).
pub const LAG_PATH: &str = "/local-lag";

/// The vote page's address as a QR code (SVG), in a room (`--lan`) only.
pub const QR_PATH: &str = "/local-qr.svg";

/// `{"voteUrl": …}`: the projector view's caption, in a room only.
pub const CLASSROOM_PATH: &str = "/local-classroom";

type Answer = Response<Full<Bytes>>;

impl Gateway {
    /// Serves on `listener` until `stop` turns true.
    pub async fn serve(
        self,
        listener: TcpListener,
        mut stop: watch::Receiver<bool>,
    ) -> std::io::Result<()> {
        let gateway = Arc::new(self);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => accepted?,
                _ = stop.changed() => return Ok(()),
            };
            let gateway = gateway.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| gateway.clone().route(request, peer.ip()));
                if let Err(error) =
                    http1::Builder::new().serve_connection(TokioIo::new(stream), service).await
                {
                    tracing::debug!(%error, "connection ended");
                }
            });
        }
    }

    async fn route(
        self: Arc<Self>,
        request: Request<Incoming>,
        peer: std::net::IpAddr,
    ) -> Result<Answer, Infallible> {
        let path = request.uri().path().to_owned();
        let response = if self.api.serves(&path) {
            self.api_request(request, peer).await
        } else if path == SIGN_IN_PATH {
            self.sign_in(request).await
        } else if path == LAG_PATH {
            self.lag()
        } else if let (true, Some(room)) = (path == QR_PATH, &self.classroom) {
            svg_answer(crate::lan::qr_svg(&room.vote_url))
        } else if let (true, Some(room)) = (path == CLASSROOM_PATH, &self.classroom) {
            json_answer(StatusCode::OK, &serde_json::json!({ "voteUrl": room.vote_url }))
        } else {
            match path.as_str() {
                "/" => redirect("/vote.html"),
                "/grid.json" => self.file(&request, self.grid_file.clone()).await,
                _ => match safe_file_name(&path) {
                    Some(name) => self.file(&request, self.web_root.join(name)).await,
                    None => error(StatusCode::NOT_FOUND, "Not Found"),
                },
            }
        };
        tracing::debug!(%path, status = %response.status(), "served");
        Ok(response)
    }

    /// A request to the HTTP API: a preflight, or a route with its
    /// authorizer, and CORS headers on every answer.
    async fn api_request(&self, request: Request<Incoming>, peer: std::net::IpAddr) -> Answer {
        let origin = header_text(request.headers(), "origin");
        let is_preflight = request.method() == Method::OPTIONS
            && request.headers().contains_key("access-control-request-method");
        let mut answer = if is_preflight {
            self.preflight(&request)
        } else {
            match self.api.route(request.method().as_str(), request.uri().path()).cloned() {
                None => error(StatusCode::NOT_FOUND, "Not Found"),
                Some(route) if !self.admitted(&route) => {
                    error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
                }
                Some(route) if !self.device_admitted(&route, peer, Instant::now()) => error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too Many Requests: one device votes a few times at most; wait a moment",
                ),
                Some(route) => self.invoke(&route, request).await,
            }
        };
        self.set_cors_headers(&mut answer, origin.as_deref(), is_preflight);
        answer
    }

    /// Whether the route's throttle lets one more request through now.
    fn admitted(&self, route: &Route) -> bool {
        let Some(throttle) = self.api.throttle else { return true };
        let key = format!("{} {}", route.method, route.path);
        let admitted = self.throttles.admit(&key, throttle, Instant::now());
        if !admitted {
            tracing::info!(route = %key, "throttled: 429");
        }
        admitted
    }

    /// In a room, whether the phone at `peer` may send one more vote now
    /// (its own bucket, beside the route's). The gateway's own machine and
    /// loopback are not phones.
    fn device_admitted(&self, route: &Route, peer: std::net::IpAddr, now: Instant) -> bool {
        device_admits(self.classroom.as_ref(), &self.throttles, &route.method, peer, now)
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|allowed| allowed == "*" || allowed == origin)
    }

    /// API Gateway answers a CORS preflight itself: 204, with the allowed
    /// methods and headers when the origin may call.
    fn preflight(&self, request: &Request<Incoming>) -> Answer {
        let mut answer = Response::builder().status(StatusCode::NO_CONTENT);
        let origin = header_text(request.headers(), "origin");
        let method = header_text(request.headers(), "access-control-request-method");
        let method_allowed = method.is_some_and(|m| {
            self.api.cors.allow_methods.iter().any(|a| a == "*" || a.eq_ignore_ascii_case(&m))
        });
        if origin.is_some_and(|o| self.origin_allowed(&o)) && method_allowed {
            answer = answer
                .header("access-control-allow-methods", self.api.cors.allow_methods.join(","))
                .header("access-control-allow-headers", self.api.cors.allow_headers.join(","));
            if let Some(max_age) = self.api.cors.max_age {
                answer = answer.header("access-control-max-age", max_age.to_string());
            }
        }
        answer.body(Full::new(Bytes::new())).expect("a static response is valid")
    }

    /// The gateway's CORS headers replace whatever the function set.
    fn set_cors_headers(&self, answer: &mut Answer, origin: Option<&str>, preflight: bool) {
        let headers = answer.headers_mut();
        let function_set: Vec<HeaderName> = headers
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        if !preflight {
            for name in function_set {
                headers.remove(name);
            }
        }
        if let Some(origin) = origin.filter(|o| self.origin_allowed(o))
            && let Ok(value) = HeaderValue::from_str(origin)
        {
            headers.insert("access-control-allow-origin", value);
            headers.insert("vary", HeaderValue::from_static("Origin"));
        }
    }

    /// Checks the route's authorizer, turns the request into an API Gateway
    /// event and invokes the route's function with it.
    async fn invoke(&self, route: &Route, request: Request<Incoming>) -> Answer {
        static REQUEST_ID: AtomicU64 = AtomicU64::new(1);
        let (parts, body) = request.into_parts();
        let claims = match &route.authorizer {
            None => None,
            Some(authorizer) => {
                let header = self.api.authorizers.get(authorizer).map(String::as_str);
                let token = header.and_then(|name| header_text(&parts.headers, name));
                let token = token.as_deref().map(|t| t.strip_prefix("Bearer ").unwrap_or(t));
                match token.map(|token| self.idp.verify(token)) {
                    Some(Ok(claims)) => Some(claims),
                    Some(Err(why)) => {
                        tracing::info!(%why, route = %route.path, "token refused");
                        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
                    }
                    None => return error(StatusCode::UNAUTHORIZED, "Unauthorized"),
                }
            }
        };
        let body = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
        };
        let (jwt_subject, jwt_claims) = match claims {
            Some(mut claims) => (claims.remove("sub"), claims.into_iter().collect()),
            None => (None, Vec::new()),
        };
        let http = HttpRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            headers: parts
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.to_string(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
            body: body.to_vec(),
            jwt_subject,
            jwt_claims,
            time: chrono::Utc::now(),
        };
        let route_key = format!("{} {}", route.method, route.path);
        let id = format!("local-{:08}", REQUEST_ID.fetch_add(1, Ordering::Relaxed));
        let event = http_api_event(&http, &route_key, &id).to_string();
        if event.len() > pitlane_esm::MAX_PAYLOAD_BYTES {
            tracing::info!(bytes = event.len(), "the event exceeds Lambda's 6 MB invoke payload");
            return error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
        }
        let Ok(lambda_request) = lambda_http::request::from_str(&event) else {
            return error(StatusCode::BAD_REQUEST, "the request could not be turned into an event");
        };
        let run = async {
            match route.function.as_str() {
                "VoteApiFunction" => Some(
                    day05_vote_api_solution::handle(&self.kinesis, &self.vote_api, lambda_request)
                        .await,
                ),
                "ResultsApiFunction" => Some(
                    day08_results_api_solution::handle(
                        &self.dynamodb,
                        &self.results_api,
                        lambda_request,
                    )
                    .await,
                ),
                _ => None,
            }
        };
        // Lambda stops a function at its timeout; API Gateway then answers 500.
        let answer = match tokio::time::timeout(route.timeout, run).await {
            Ok(Some(answer)) => answer,
            Ok(None) => {
                tracing::error!(function = %route.function, "no local stand-in for this function");
                return error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
            Err(_) => {
                tracing::warn!(function = %route.function, timeout = ?route.timeout, "Task timed out");
                return error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
        };
        let (parts, body) = answer.into_parts();
        Response::from_parts(parts, Full::new(Bytes::copy_from_slice(body.as_ref())))
    }

    /// `GET /local-lag`: the consumer's iterator age now (the largest of the
    /// shards' latest) and the largest seen, in milliseconds; with CORS for
    /// any origin, as the dashboard may be served from elsewhere.
    fn lag(&self) -> Answer {
        let Some(reporter) = &self.lag else { return error(StatusCode::NOT_FOUND, "Not Found") };
        let report = reporter.report();
        let body = json!({
            "iteratorAgeMs": report.iterator_age_ms.values().max(),
            "maxIteratorAgeMs": report.max_iterator_age_ms,
            "recordsProcessed": report.records_succeeded,
        });
        let mut answer = json_answer(StatusCode::OK, &body);
        answer.headers_mut().insert("access-control-allow-origin", HeaderValue::from_static("*"));
        answer
    }

    /// `POST /local-sign-in` with `{"fan": "<name>"}`: a token for that fan.
    /// The demo's stand-in for signing in with Cognito (no password).
    async fn sign_in(&self, request: Request<Incoming>) -> Answer {
        if request.method() != Method::POST {
            return error(StatusCode::NOT_FOUND, "Not Found");
        }
        let body = match Limited::new(request.into_body(), 1024).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
        };
        let fan = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|body| body["fan"].as_str().map(str::trim).map(str::to_owned))
            .filter(|fan| !fan.is_empty());
        match fan {
            Some(fan) => json_answer(StatusCode::OK, &json!({ "token": self.idp.token_for(&fan) })),
            None => error(StatusCode::BAD_REQUEST, "the body must be {\"fan\": \"<a name>\"}"),
        }
    }

    async fn file(&self, request: &Request<Incoming>, path: PathBuf) -> Answer {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return error(StatusCode::METHOD_NOT_ALLOWED, "use GET");
        }
        match tokio::fs::read(&path).await {
            Ok(content) => Response::builder()
                .header("content-type", content_type(&path))
                .header("cache-control", "no-cache")
                .body(Full::new(Bytes::from(content)))
                .expect("a static response is valid"),
            Err(_) => error(StatusCode::NOT_FOUND, "Not Found"),
        }
    }
}

fn header_text(headers: &hyper::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

/// `/vote.html` → `vote.html`; anything with a folder or odd characters is
/// refused (no way out of `web/`).
fn safe_file_name(path: &str) -> Option<&str> {
    let name = path.strip_prefix('/')?;
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    ok.then_some(name)
}

fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// Whether the device at `peer` may send one more `method` request at `now`
/// in `room` (always, outside a room; see [`Gateway::device_admitted`]).
fn device_admits(
    room: Option<&Classroom>,
    throttles: &Throttles,
    method: &str,
    peer: std::net::IpAddr,
    now: Instant,
) -> bool {
    let Some(room) = room else { return true };
    if method != "POST" || peer.is_loopback() || peer == room.host {
        return true;
    }
    let admitted = throttles.admit(&format!("device {peer}"), room.per_device, now);
    if !admitted {
        tracing::info!(%peer, "a device throttled: 429");
    }
    admitted
}

/// An error as API Gateway writes one: `{"message": "..."}`.
fn error(status: StatusCode, message: &str) -> Answer {
    json_answer(status, &json!({ "message": message }))
}

fn json_answer(status: StatusCode, body: &serde_json::Value) -> Answer {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a JSON response is valid")
}

fn svg_answer(svg: String) -> Answer {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "image/svg+xml")
        .header("cache-control", "no-store")
        .body(Full::new(Bytes::from(svg)))
        .expect("an SVG response is valid")
}

fn redirect(to: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::FOUND)
        .header("location", to)
        .body(Full::new(Bytes::new()))
        .expect("a static response is valid")
}

/// Binds the gateway's listener on `ip` (loopback, or the machine's address
/// on the local network with `--lan`); port 0 picks a free one.
pub async fn bind(ip: std::net::IpAddr, port: u16) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind((ip, port)).await?;
    let address = listener.local_addr()?;
    Ok((listener, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routes_bucket_takes_its_burst_at_once_then_refills_at_its_rate() {
        let throttle = Throttle { rate_per_second: 100.0, burst: 200 };
        let throttles = Throttles::default();
        let start = Instant::now();
        let admitted = (0..250).filter(|_| throttles.admit("GET /a", throttle, start)).count();
        assert_eq!(admitted, 200, "the burst, at one instant");
        // 10 ms later: one more token (100 a second).
        let later = start + std::time::Duration::from_millis(10);
        assert!(throttles.admit("GET /a", throttle, later));
        assert!(!throttles.admit("GET /a", throttle, later));
        // Each route has its own bucket.
        assert!(throttles.admit("POST /b", throttle, later));
        // A long pause refills to the burst, not beyond.
        let much_later = later + std::time::Duration::from_secs(60);
        let refilled = (0..250).filter(|_| throttles.admit("GET /a", throttle, much_later)).count();
        assert_eq!(refilled, 200);
    }

    /// In a room, each phone's votes take its own bucket: five at once, then
    /// one every two seconds; other phones, the instructor's machine and
    /// loopback are not held back by it, nor is any other method.
    #[test]
    fn in_a_room_each_device_has_its_own_share_of_votes() {
        let host: std::net::IpAddr = "192.168.1.20".parse().unwrap();
        let admit = |throttles: &Throttles, method: &str, peer: &str, now: Instant| {
            let room = Classroom {
                vote_url: "http://192.168.1.20:8765/vote.html".into(),
                host,
                per_device: PER_DEVICE,
            };
            device_admits(Some(&room), throttles, method, peer.parse().unwrap(), now)
        };
        let throttles = Throttles::default();
        let start = Instant::now();
        let phone = "192.168.1.31";
        let votes = (0..8).filter(|_| admit(&throttles, "POST", phone, start)).count();
        assert_eq!(votes, 5, "a phone's burst");
        assert!(admit(&throttles, "POST", "192.168.1.32", start), "another phone has its own");
        for not_a_phone in ["192.168.1.20", "127.0.0.1", "::1"] {
            assert!(
                (0..20).all(|_| admit(&throttles, "POST", not_a_phone, start)),
                "{not_a_phone}"
            );
        }
        assert!(admit(&throttles, "GET", phone, start), "only votes are counted");
        let later = start + std::time::Duration::from_secs(2);
        assert!(admit(&throttles, "POST", phone, later), "one more after 2 s");
        assert!(!admit(&throttles, "POST", phone, later));
        // Not in a room: no device is throttled.
        assert!(device_admits(None, &throttles, "POST", phone.parse().unwrap(), later));
    }

    #[test]
    fn only_plain_file_names_are_served() {
        assert_eq!(safe_file_name("/vote.html"), Some("vote.html"));
        assert_eq!(safe_file_name("/config.json"), Some("config.json"));
        for bad in ["/", "/../Cargo.toml", "/a/b.html", "/.env", "/%2e%2e/x", "vote.html"] {
            assert_eq!(safe_file_name(bad), None, "{bad}");
        }
    }
}
