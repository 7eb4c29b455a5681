//! Running the Lambda binary itself, as Lambda does: a process that asks a
//! **Runtime API** for its next event and posts the answer back.
//!
//! On AWS, a `provided.al2023` function is your `bootstrap` binary. Lambda
//! starts it in an *execution environment* with `AWS_LAMBDA_RUNTIME_API` set;
//! `lambda_runtime::run` then loops: `GET /2018-06-01/runtime/invocation/next`
//! (which blocks until there is an event), run the handler, `POST
//! .../invocation/<id>/response` (or `/error`). If the process dies during an
//! invocation — a crash, an out-of-memory kill, a timeout — that invocation
//! fails with `Runtime.ExitError`, and the next one starts a fresh process (a
//! cold start).
//!
//! [`RuntimeApiProcess`] is that, locally: a minimal Runtime API on loopback
//! and one execution environment (invocations run one at a time). Its
//! [`crash`](RuntimeApiProcess::crash) kills the process in the middle of an
//! invocation, which is how the reliability suite proves that a consumer
//! killed mid-batch loses nothing and counts nothing twice.

use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use pitlane::lambda::{KinesisEvent, to_lambda_json};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{Notify, oneshot, watch};

use crate::invoke::{FunctionError, Invoke, InvokeFuture, function_arn};

const PREFIX: &str = "/2018-06-01/runtime";

/// The function's answer to one invocation, as posted to the Runtime API.
enum Answer {
    Response(Bytes),
    Error(Bytes),
}

/// The invocation being served. A new generation replaces it when a process
/// dies, so that a request the dead process left waiting can never take an
/// event meant for its successor.
#[derive(Default)]
struct Generation {
    /// The event waiting to be fetched by `GET .../next`: (request id, JSON).
    next: Mutex<Option<(String, String)>>,
    ready: Notify,
    /// Where the answer for the current request id goes.
    answer: Mutex<Option<(String, oneshot::Sender<Answer>)>>,
}

struct Api {
    generation: Mutex<Arc<Generation>>,
    function_arn: String,
    timeout: Duration,
}

impl Api {
    fn current(&self) -> Arc<Generation> {
        self.generation.lock().unwrap().clone()
    }
}

/// A Lambda function run from its binary under a local Runtime API.
pub struct RuntimeApiProcess {
    name: String,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: Option<PathBuf>,
    api: Arc<Api>,
    address: String,
    environment: tokio::sync::Mutex<Option<Child>>,
    crash: Notify,
    starts: AtomicU32,
    crashes: AtomicU32,
    _stop: watch::Sender<bool>,
}

impl RuntimeApiProcess {
    /// Serves a Runtime API for function `name`, whose binary is `program`,
    /// started with `env` (table names, endpoints...) on first invocation.
    pub async fn start(
        name: impl Into<String>,
        program: impl Into<PathBuf>,
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> std::io::Result<Self> {
        let name = name.into();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let api = Arc::new(Api {
            generation: Mutex::new(Arc::default()),
            function_arn: function_arn(&name),
            timeout,
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, api.clone(), stopped));
        Ok(Self {
            name,
            program: program.into(),
            args: Vec::new(),
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            log: None,
            api,
            address,
            environment: tokio::sync::Mutex::new(None),
            crash: Notify::new(),
            starts: AtomicU32::new(0),
            crashes: AtomicU32::new(0),
            _stop: stop,
        })
    }

    /// Starts the program with these arguments (an interpreter's script,
    /// say); by default it has none, as a `bootstrap` on Lambda.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|arg| (*arg).to_owned()).collect();
        self
    }

    /// Appends the function's output (its logs) to `file`; by default it is
    /// discarded.
    pub fn log_to(mut self, file: impl Into<PathBuf>) -> Self {
        self.log = Some(file.into());
        self
    }

    /// Kills the function's process now, in the middle of its invocation,
    /// with SIGKILL: no clean-up, no answer.
    pub fn crash(&self) {
        self.crash.notify_one();
    }

    /// Processes started so far (1 + one per death).
    pub fn starts(&self) -> u32 {
        self.starts.load(Ordering::Relaxed)
    }

    /// Processes killed by [`crash`](Self::crash).
    pub fn crashes(&self) -> u32 {
        self.crashes.load(Ordering::Relaxed)
    }

    /// The running process's peak resident memory so far, in KiB (`VmHWM`
    /// in `/proc/<pid>/status`): what Lambda reports as "Max Memory Used".
    /// `None` when no process runs, or off Linux.
    pub async fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.environment.lock().await.as_ref()?.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    fn spawn(&self) -> Result<Child, FunctionError> {
        let output = match &self.log {
            Some(file) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .map(Stdio::from)
                .map_err(|e| FunctionError::Invoke(format!("{}: {e}", file.display())))?,
            None => Stdio::null(),
        };
        let child = Command::new(&self.program)
            .args(&self.args)
            .env("AWS_LAMBDA_RUNTIME_API", &self.address)
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", self.name))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "pitlane-esm")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(output)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                FunctionError::Invoke(format!("starting {}: {e}", self.program.display()))
            })?;
        self.starts.fetch_add(1, Ordering::Relaxed);
        Ok(child)
    }

    async fn run(&self, event: KinesisEvent) -> Result<serde_json::Value, FunctionError> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        // One execution environment: one invocation at a time.
        let mut environment = self.environment.lock().await;
        if environment.as_mut().is_none_or(|child| child.try_wait().ok().flatten().is_some()) {
            *environment = Some(self.spawn()?);
        }
        let child = environment.as_mut().expect("a process was started");

        let id = format!("pitlane-{:08}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let (answer_tx, answer_rx) = oneshot::channel();
        let generation = self.api.current();
        *generation.answer.lock().unwrap() = Some((id.clone(), answer_tx));
        *generation.next.lock().unwrap() = Some((id, to_lambda_json(&event)));
        generation.ready.notify_one();

        let outcome = tokio::select! {
            // An answer counts even if the process exits right after giving it.
            biased;
            answer = answer_rx => match answer {
                Ok(Answer::Response(body)) if body.is_empty() => Ok(serde_json::Value::Null),
                Ok(Answer::Response(body)) => serde_json::from_slice(&body).map_err(|e| {
                    FunctionError::BadAnswer(format!("the answer is not JSON: {e}"))
                }),
                Ok(Answer::Error(body)) => {
                    Err(FunctionError::Unhandled(String::from_utf8_lossy(&body).into_owned()))
                }
                Err(_) => Err(FunctionError::Invoke("the Runtime API stopped".into())),
            },
            status = child.wait() => Err(FunctionError::Crashed(format!(
                "Runtime.ExitError: the process exited during the invocation ({})",
                status.map_or_else(|e| e.to_string(), |s| s.to_string())
            ))),
            () = self.crash.notified() => {
                let _ = child.kill().await;
                self.crashes.fetch_add(1, Ordering::Relaxed);
                Err(FunctionError::Crashed(
                    "Runtime.ExitError: the process was killed (SIGKILL) during the invocation".into(),
                ))
            }
            () = tokio::time::sleep(self.api.timeout) => {
                // Lambda ends the execution environment of a timed-out invocation.
                let _ = child.kill().await;
                Err(FunctionError::TimedOut(self.api.timeout))
            }
        };
        if child.try_wait().ok().flatten().is_some() {
            // The process is gone: whatever it left behind (a request for the
            // next event, an event it never fetched) belongs to the past, and
            // the next invocation starts a new process.
            *self.api.generation.lock().unwrap() = Arc::default();
            *environment = None;
        } else if outcome.is_err() {
            // A function error: the process lives on and is already asking
            // for its next event; nothing of this invocation must remain.
            let generation = self.api.current();
            generation.next.lock().unwrap().take();
            generation.answer.lock().unwrap().take();
        }
        outcome
    }
}

impl Invoke for RuntimeApiProcess {
    fn invoke(&self, event: KinesisEvent) -> InvokeFuture<'_> {
        Box::pin(self.run(event))
    }

    fn function_name(&self) -> &str {
        &self.name
    }
}

async fn serve(listener: TcpListener, api: Arc<Api>, mut stopped: watch::Receiver<bool>) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            _ = stopped.changed() => return,
        };
        let api = api.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| route(api.clone(), request));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn route(
    api: Arc<Api>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().strip_prefix(PREFIX).unwrap_or_default().to_owned();
    let method = request.method().clone();
    let response = if method == Method::GET && path == "/invocation/next" {
        next(&api).await
    } else if method == Method::POST && path.starts_with("/invocation/") {
        let mut parts = path.trim_start_matches("/invocation/").splitn(2, '/');
        let (id, kind) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let answer = match kind {
            "response" => Some(Answer::Response(body)),
            "error" => Some(Answer::Error(body)),
            _ => None,
        };
        match answer {
            Some(answer) => deliver(&api, id, answer),
            None => status(StatusCode::NOT_FOUND),
        }
    } else if method == Method::POST && path == "/init/error" {
        let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        tracing::error!(error = %String::from_utf8_lossy(&body), "the function failed to start");
        status(StatusCode::ACCEPTED)
    } else {
        status(StatusCode::NOT_FOUND)
    };
    Ok(response)
}

/// `GET .../invocation/next`: waits for an event, then hands it out with the
/// headers `lambda_runtime` reads.
async fn next(api: &Api) -> Response<Full<Bytes>> {
    let generation = api.current();
    let (id, event) = loop {
        if let Some(next) = generation.next.lock().unwrap().take() {
            break next;
        }
        generation.ready.notified().await;
    };
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + api.timeout;
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", id)
        .header("lambda-runtime-deadline-ms", deadline.as_millis().to_string())
        .header("lambda-runtime-invoked-function-arn", &api.function_arn)
        .body(Full::new(Bytes::from(event)))
        .expect("a valid response")
}

fn deliver(api: &Api, id: &str, answer: Answer) -> Response<Full<Bytes>> {
    let generation = api.current();
    let mut slot = generation.answer.lock().unwrap();
    match slot.take() {
        Some((expected, sender)) if expected == id => {
            let _ = sender.send(answer);
            status(StatusCode::ACCEPTED)
        }
        other => {
            *slot = other;
            status(StatusCode::BAD_REQUEST)
        }
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    Response::builder().status(code).body(Full::new(Bytes::new())).expect("a valid response")
}
