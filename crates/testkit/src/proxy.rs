//! A fault-injecting proxy in front of the local DynamoDB.
//!
//! Real DynamoDB throttles (`ProvisionedThroughputExceededException`,
//! `ThrottlingException`), fails now and then (`InternalServerError`), and
//! sometimes *does* a write whose answer never reaches the caller. The local
//! backend does none of that, so tests put this proxy between the code and
//! the backend. For each call a plan decides what happens:
//!
//! - [`Reply::Forward`]: the call goes through untouched;
//! - [`Reply::Throttle`], [`Reply::SlowDown`], [`Reply::ServerError`],
//!   [`Reply::Refuse`]: the proxy answers with that error itself, exactly in
//!   DynamoDB's wire format, and the backend never sees the call;
//! - [`Reply::LostReply`]: the call *is* carried out, then the caller gets a
//!   500 — the hardest case for idempotency.
//!
//! The code under test talks to the proxy through an ordinary SDK client
//! ([`FaultProxy::dynamodb`]), so errors reach it through the SDK's own
//! parsing and retries, as they would on AWS.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::local_endpoint;

/// One call seen by the proxy.
#[derive(Clone, Debug)]
pub struct Call {
    /// 1 for the first call through this proxy.
    pub number: u64,
    /// The DynamoDB operation (`TransactWriteItems`, `BatchWriteItem`...).
    pub operation: String,
    /// The request's JSON body, to decide by what a call writes.
    pub body: String,
}

/// What the proxy does with one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Forward it and return the backend's answer.
    Forward,
    /// 400 `ProvisionedThroughputExceededException`, not forwarded.
    Throttle,
    /// 400 `ThrottlingException`, not forwarded.
    SlowDown,
    /// 500 `InternalServerError`, not forwarded.
    ServerError,
    /// Forward it (the write happens), then answer 500 `InternalServerError`.
    LostReply,
    /// 400 with this exception name (`ValidationException`...), not forwarded.
    Refuse(&'static str),
    /// 400 `TransactionCanceledException`, not forwarded, with one
    /// cancellation reason per write of the transaction, in order (`"None"`
    /// for a write that was fine): what DynamoDB answers when a transaction
    /// meets another one on the same item (`"TransactionConflict"`), is
    /// throttled (`"ThrottlingError"`), or fails a condition
    /// (`"ConditionalCheckFailed"`).
    Cancel(&'static [&'static str]),
    /// Close the connection without an answer, as a network failure would.
    Disconnect,
    /// Wait this long, then forward it: a slow call, to hold it in flight
    /// while others overtake it.
    Delay(Duration),
    /// Wait this long, then answer as [`Reply::Throttle`] does: a refusal
    /// that comes late, after others.
    ThrottleAfter(Duration),
}

/// What a proxy has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyStats {
    pub calls: u64,
    pub throttled: u64,
    pub server_errors: u64,
    pub lost_replies: u64,
    pub refused: u64,
    pub disconnected: u64,
    /// The most calls the proxy held at one time (received, not yet
    /// answered): how concurrent the client under test was.
    pub max_in_flight: u64,
}

impl ProxyStats {
    /// The calls that did not get the backend's answer.
    pub fn faults(&self) -> u64 {
        self.throttled + self.server_errors + self.lost_replies + self.refused + self.disconnected
    }
}

type Plan = Box<dyn FnMut(&Call) -> Reply + Send>;

struct State {
    upstream: String,
    in_flight: Mutex<u64>,
    plan: Mutex<Plan>,
    stats: Mutex<ProxyStats>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    url: String,
    state: Arc<State>,
    _stop: watch::Sender<bool>,
}

impl FaultProxy {
    /// A proxy in front of the local DynamoDB, deciding each call's fate with
    /// `plan`.
    pub async fn dynamodb_with(plan: impl FnMut(&Call) -> Reply + Send + 'static) -> Self {
        Self::start(&local_endpoint("AWS_ENDPOINT_URL_DYNAMODB"), plan).await
    }

    /// A proxy in front of the local Kinesis, deciding each call's fate with
    /// `plan` (`Reply::Throttle` answers `ProvisionedThroughputExceededException`).
    pub async fn kinesis_with(plan: impl FnMut(&Call) -> Reply + Send + 'static) -> Self {
        Self::start(&local_endpoint("AWS_ENDPOINT_URL_KINESIS"), plan).await
    }

    /// A proxy in front of `upstream` (`http://127.0.0.1:28470`).
    pub async fn start(upstream: &str, plan: impl FnMut(&Call) -> Reply + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the fault proxy");
        let url = format!("http://{}", listener.local_addr().expect("a local address"));
        let state = Arc::new(State {
            upstream: upstream.trim_end_matches('/').to_owned(),
            in_flight: Mutex::new(0),
            plan: Mutex::new(Box::new(plan)),
            stats: Mutex::new(ProxyStats::default()),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, state.clone(), stopped));
        Self { url, state, _stop: stop }
    }

    /// The proxy's endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What the proxy has done so far.
    pub fn stats(&self) -> ProxyStats {
        self.state.stats.lock().unwrap().clone()
    }

    /// A Kinesis client whose calls go through the proxy, the SDK making up
    /// to `sdk_attempts` attempts per call, 1 to 5 ms apart.
    pub fn kinesis(&self, sdk_attempts: u32) -> aws_sdk_kinesis::Client {
        let retry = aws_sdk_kinesis::config::retry::RetryConfig::standard()
            .with_max_attempts(sdk_attempts)
            .with_initial_backoff(Duration::from_millis(5));
        aws_sdk_kinesis::Client::from_conf(
            crate::kinesis_config().endpoint_url(&self.url).retry_config(retry).build(),
        )
    }

    /// A DynamoDB client whose calls go through the proxy. The SDK makes up
    /// to `sdk_attempts` attempts per call (1: no SDK retries), 1 to 5 ms
    /// apart instead of AWS's seconds, so that tests stay quick.
    pub fn dynamodb(&self, sdk_attempts: u32) -> aws_sdk_dynamodb::Client {
        let retry = RetryConfig::standard()
            .with_max_attempts(sdk_attempts)
            .with_initial_backoff(Duration::from_millis(5));
        aws_sdk_dynamodb::Client::from_conf(
            crate::dynamodb::config().endpoint_url(&self.url).retry_config(retry).build(),
        )
    }
}

/// A plan that faults a share `rate` (0 to 1) of the data calls — every
/// operation but table management — with a reproducible mix of throttling,
/// server errors and lost replies.
pub fn random_faults(seed: u64, rate: f64) -> impl FnMut(&Call) -> Reply + Send + 'static {
    let mut rng = fastrand::Rng::with_seed(seed);
    move |call| {
        if call.operation.ends_with("Table") || rng.f64() >= rate {
            return Reply::Forward;
        }
        match rng.f64() {
            x if x < 0.4 => Reply::Throttle,
            x if x < 0.6 => Reply::SlowDown,
            x if x < 0.85 => Reply::ServerError,
            _ => Reply::LostReply,
        }
    }
}

async fn serve(listener: TcpListener, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            _ = stopped.changed() => return,
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(state.clone(), request));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Counts the calls in flight while it lives, and records the most.
struct InFlight(Arc<State>);

impl InFlight {
    fn enter(state: &Arc<State>) -> Self {
        let mut in_flight = state.in_flight.lock().unwrap();
        *in_flight += 1;
        let mut stats = state.stats.lock().unwrap();
        stats.max_in_flight = stats.max_in_flight.max(*in_flight);
        Self(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.in_flight.lock().unwrap() -= 1;
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, &'static str> {
    let _in_flight = InFlight::enter(&state);
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.rsplit('.').next())
        .unwrap_or("unknown")
        .to_owned();
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|collected| collected.to_bytes()) else {
        return Ok(error(StatusCode::BAD_REQUEST, "SerializationException"));
    };
    let reply = {
        let mut stats = state.stats.lock().unwrap();
        stats.calls += 1;
        let text = String::from_utf8_lossy(&body).into_owned();
        let call = Call { number: stats.calls, operation, body: text };
        let reply = (state.plan.lock().unwrap())(&call);
        match reply {
            Reply::Forward | Reply::Delay(_) => {}
            Reply::Throttle | Reply::SlowDown | Reply::ThrottleAfter(_) => stats.throttled += 1,
            Reply::ServerError => stats.server_errors += 1,
            Reply::LostReply => stats.lost_replies += 1,
            Reply::Refuse(_) | Reply::Cancel(_) => stats.refused += 1,
            Reply::Disconnect => stats.disconnected += 1,
        }
        reply
    };
    let request = Request::from_parts(parts, body);
    let response = match reply {
        Reply::Forward => forward(&state, request).await,
        Reply::Delay(wait) => {
            tokio::time::sleep(wait).await;
            forward(&state, request).await
        }
        Reply::LostReply => {
            let _ = forward(&state, request).await;
            error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError")
        }
        Reply::Throttle => error(StatusCode::BAD_REQUEST, "ProvisionedThroughputExceededException"),
        Reply::ThrottleAfter(wait) => {
            tokio::time::sleep(wait).await;
            error(StatusCode::BAD_REQUEST, "ProvisionedThroughputExceededException")
        }
        Reply::SlowDown => error(StatusCode::BAD_REQUEST, "ThrottlingException"),
        Reply::ServerError => error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        Reply::Refuse(exception) => error(StatusCode::BAD_REQUEST, exception),
        Reply::Cancel(reasons) => cancelled(reasons),
        // An error from the service makes hyper drop the connection unanswered.
        Reply::Disconnect => return Err("injected disconnection"),
    };
    Ok(response)
}

async fn forward(state: &State, request: Request<Bytes>) -> Response<Full<Bytes>> {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("{}{path}", state.upstream).parse().expect("a valid upstream URL");
    match state.client.request(Request::from_parts(parts, Full::new(body))).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            match body.collect().await {
                Ok(collected) => Response::from_parts(parts, Full::new(collected.to_bytes())),
                Err(_) => error(StatusCode::BAD_GATEWAY, "InternalServerError"),
            }
        }
        Err(_) => error(StatusCode::BAD_GATEWAY, "InternalServerError"),
    }
}

/// A cancelled transaction in DynamoDB's JSON protocol, with its reasons.
fn cancelled(reasons: &[&str]) -> Response<Full<Bytes>> {
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}] \
             (injected by the test's fault proxy)",
            reasons.join(", ")
        ),
        "CancellationReasons": reasons
            .iter()
            .map(|code| match *code {
                "None" => serde_json::json!({ "Code": "None" }),
                code => serde_json::json!({ "Code": code, "Message": format!("{code} (injected)") }),
            })
            .collect::<Vec<_>>(),
    });
    answer(StatusCode::BAD_REQUEST, &body)
}

/// An error answer in DynamoDB's JSON protocol.
fn error(status: StatusCode, exception: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{exception}"),
        "message": format!("{exception} (injected by the test's fault proxy)"),
    });
    answer(status, &body)
}

/// An answer in DynamoDB's JSON protocol.
fn answer(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid response")
}
