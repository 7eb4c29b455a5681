//! Invoking the function: in this process, or over HTTP.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lambda_runtime::{Context, LambdaEvent};
use pitlane::lambda::{KinesisEvent, to_lambda_json};
use serde::Serialize;

/// A future that an [`Invoke`] implementation returns.
pub type InvokeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<serde_json::Value, FunctionError>> + Send + 'a>>;

/// Why an invocation failed. The batch is retried in every case; all but
/// [`FunctionError::Invoke`] are *function errors*, which count against
/// `MaximumRetryAttempts` and may bisect the batch.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FunctionError {
    /// The handler returned an error.
    #[error("function error: {0}")]
    Unhandled(String),
    /// The handler panicked (on AWS the runtime reports it as an error).
    #[error("function panicked: {0}")]
    Panicked(String),
    /// The handler ran longer than the function's timeout.
    #[error("function timed out after {0:?}")]
    TimedOut(Duration),
    /// The function's process exited or was killed during the invocation
    /// (Lambda's `Runtime.ExitError`).
    #[error("function crashed: {0}")]
    Crashed(String),
    /// The function answered something that is not JSON.
    #[error("function answered nonsense: {0}")]
    BadAnswer(String),
    /// The function was never run: it could not be reached, its process not
    /// started, or the invoke itself was refused (an HTTP error status, as
    /// Lambda's throttling is). AWS does not count these as retries: the
    /// mapping retries with backoff until the function can be invoked.
    #[error("invoke failed: {0}")]
    Invoke(String),
}

impl FunctionError {
    /// Whether the function ran and failed: a retry that counts against
    /// `MaximumRetryAttempts`, and a reason to bisect.
    pub fn is_function_error(&self) -> bool {
        !matches!(self, FunctionError::Invoke(_))
    }
}

/// Something that runs the function with one batch and returns its JSON
/// answer (`null` for a handler that returns nothing).
pub trait Invoke: Send + Sync + 'static {
    fn invoke(&self, event: KinesisEvent) -> InvokeFuture<'_>;

    /// The function's name, for logs and failure records.
    fn function_name(&self) -> &str;
}

/// The handler, called in this process: the same async function that the
/// Lambda binary hands to `lambda_runtime::run(service_fn(..))`.
///
/// Each invocation runs in its own task, so that a panic is caught and
/// reported as a function error, and is cancelled at the timeout.
pub struct InProcess<H> {
    name: String,
    handler: H,
    timeout: Duration,
}

impl<H> InProcess<H> {
    pub fn new(name: impl Into<String>, timeout: Duration, handler: H) -> Self {
        Self { name: name.into(), handler, timeout }
    }
}

impl<H, Fut, R, E> Invoke for InProcess<H>
where
    H: Fn(LambdaEvent<KinesisEvent>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: Serialize + Send + 'static,
    E: Display + Send + 'static,
{
    fn invoke(&self, event: KinesisEvent) -> InvokeFuture<'_> {
        let task = tokio::spawn((self.handler)(LambdaEvent::new(
            event,
            context(&self.name, self.timeout),
        )));
        let timeout = self.timeout;
        Box::pin(async move {
            let abort = task.abort_handle();
            match tokio::time::timeout(timeout, task).await {
                Err(_) => {
                    abort.abort();
                    Err(FunctionError::TimedOut(timeout))
                }
                Ok(Err(join)) => Err(FunctionError::Panicked(panic_message(join))),
                Ok(Ok(Err(error))) => Err(FunctionError::Unhandled(error.to_string())),
                Ok(Ok(Ok(answer))) => serde_json::to_value(answer)
                    .map_err(|e| FunctionError::BadAnswer(format!("the answer is not JSON: {e}"))),
            }
        })
    }

    fn function_name(&self) -> &str {
        &self.name
    }
}

/// The context Lambda gives an invocation: a request id, the deadline and
/// the function's ARN.
fn context(function: &str, timeout: Duration) -> Context {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let now_ms =
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
    let mut context = Context::default();
    context.request_id = format!("pitlane-esm-{:08}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    context.deadline = now_ms + timeout.as_millis() as u64;
    context.invoked_function_arn = function_arn(function);
    context
}

/// The ARN of a local function named `name` (the account and region the
/// local event sources use).
pub(crate) fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
}

fn panic_message(join: tokio::task::JoinError) -> String {
    match join.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned()),
        Err(join) => join.to_string(),
    }
}

/// A function behind Lambda's Invoke API over HTTP, as `cargo lambda watch`
/// serves it on `http://127.0.0.1:9000`:
/// `POST /2015-03-31/functions/<name>/invocations`. A function error is
/// signalled, as by Lambda, with the `X-Amz-Function-Error` header.
pub struct HttpInvoker {
    name: String,
    url: String,
    timeout: Duration,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl HttpInvoker {
    /// `endpoint` like `http://127.0.0.1:9000`; plain HTTP (a local endpoint).
    pub fn new(endpoint: &str, function: impl Into<String>, timeout: Duration) -> Self {
        let name = function.into();
        let url =
            format!("{}/2015-03-31/functions/{name}/invocations", endpoint.trim_end_matches('/'));
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self { name, url, timeout, client }
    }

    async fn post(&self, body: String) -> Result<serde_json::Value, FunctionError> {
        let request = http::Request::post(&self.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| FunctionError::Invoke(e.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| FunctionError::Invoke(format!("{} unreachable: {e}", self.url)))?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| FunctionError::Invoke(e.to_string()))?
            .to_bytes();
        let text = String::from_utf8_lossy(&body).into_owned();
        if function_error {
            return Err(FunctionError::Unhandled(text));
        }
        if !status.is_success() {
            return Err(FunctionError::Invoke(format!("HTTP {status}: {text}")));
        }
        if body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&body)
            .map_err(|e| FunctionError::BadAnswer(format!("the answer is not JSON ({e}): {text}")))
    }
}

impl Invoke for HttpInvoker {
    fn invoke(&self, event: KinesisEvent) -> InvokeFuture<'_> {
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, self.post(to_lambda_json(&event))).await {
                Ok(answer) => answer,
                Err(_) => Err(FunctionError::TimedOut(self.timeout)),
            }
        })
    }

    fn function_name(&self) -> &str {
        &self.name
    }
}
