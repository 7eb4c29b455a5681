//! A local API Gateway on loopback.
//!
//! It does what an HTTP API does in front of the Lambda functions: each
//! request to a route becomes an API Gateway (payload 2.0) event, the
//! function is invoked with it — here the very handler function the Lambda
//! binary wraps, in this process — and its answer becomes the HTTP response.
//! It also serves the web pages (`web/`) and the grid (`data/grid.json`),
//! as an S3 website would.
//!
//! Routes: `POST|OPTIONS /vote` → day 05's vote API; `GET /results` → day
//! 08's results API; anything else → a file of `web/`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use pitlane::apigw::{HttpRequest, http_api_event};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The largest body the gateway reads (API Gateway allows 10 MB; the vote
/// API refuses anything over 1 KiB itself).
const MAX_BODY: usize = 64 * 1024;

/// What the gateway serves.
pub struct Gateway {
    pub kinesis: aws_sdk_kinesis::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub vote_api: day05_vote_api_solution::ApiConfig,
    pub results_api: day08_results_api_solution::ApiConfig,
    /// The folder of the web pages.
    pub web_root: PathBuf,
    /// The season's grid, served as `/grid.json`.
    pub grid_file: PathBuf,
}

impl Gateway {
    /// Serves on `listener` until `stop` turns true.
    pub async fn serve(
        self,
        listener: TcpListener,
        mut stop: watch::Receiver<bool>,
    ) -> std::io::Result<()> {
        let gateway = Arc::new(self);
        loop {
            let (stream, _) = tokio::select! {
                accepted = listener.accept() => accepted?,
                _ = stop.changed() => return Ok(()),
            };
            let gateway = gateway.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| gateway.clone().route(request));
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
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let path = request.uri().path().to_owned();
        let response = match path.as_str() {
            "/vote" | "/results" => self.invoke(request).await,
            "/" => redirect("/vote.html"),
            "/grid.json" => self.file(&request, self.grid_file.clone()).await,
            _ => match safe_file_name(&path) {
                Some(name) => self.file(&request, self.web_root.join(name)).await,
                None => plain(StatusCode::NOT_FOUND, "not found"),
            },
        };
        tracing::debug!(%path, status = %response.status(), "served");
        Ok(response)
    }

    /// Turns the request into an API Gateway event and invokes the route's
    /// function with it.
    async fn invoke(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        static REQUEST_ID: AtomicU64 = AtomicU64::new(1);
        let (parts, body) = request.into_parts();
        let body = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
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
            jwt_subject: None,
            time: chrono::Utc::now(),
        };
        let route = format!("{} {}", http.method, http.path);
        let id = format!("local-{:08}", REQUEST_ID.fetch_add(1, Ordering::Relaxed));
        let event = http_api_event(&http, &route, &id).to_string();
        let Ok(lambda_request) = lambda_http::request::from_str(&event) else {
            return plain(
                StatusCode::BAD_REQUEST,
                "the request could not be turned into an API Gateway event",
            );
        };
        let answer = if http.path == "/vote" {
            day05_vote_api_solution::handle(&self.kinesis, &self.vote_api, lambda_request).await
        } else {
            day08_results_api_solution::handle(&self.dynamodb, &self.results_api, lambda_request)
                .await
        };
        let (parts, body) = answer.into_parts();
        Response::from_parts(parts, Full::new(Bytes::copy_from_slice(body.as_ref())))
    }

    async fn file(&self, request: &Request<Incoming>, path: PathBuf) -> Response<Full<Bytes>> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "use GET");
        }
        match tokio::fs::read(&path).await {
            Ok(content) => Response::builder()
                .header("content-type", content_type(&path))
                .header("cache-control", "no-cache")
                .body(Full::new(Bytes::from(content)))
                .expect("a static response is valid"),
            Err(_) => plain(StatusCode::NOT_FOUND, "not found"),
        }
    }
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

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(text.as_bytes())))
        .expect("a static response is valid")
}

fn redirect(to: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::FOUND)
        .header("location", to)
        .body(Full::new(Bytes::new()))
        .expect("a static response is valid")
}

/// Binds the gateway's listener on loopback (port 0 picks a free one).
pub async fn bind(port: u16) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let address = listener.local_addr()?;
    Ok((listener, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_are_served() {
        assert_eq!(safe_file_name("/vote.html"), Some("vote.html"));
        assert_eq!(safe_file_name("/config.json"), Some("config.json"));
        for bad in ["/", "/../Cargo.toml", "/a/b.html", "/.env", "/%2e%2e/x", "vote.html"] {
            assert_eq!(safe_file_name(bad), None, "{bad}");
        }
    }
}
