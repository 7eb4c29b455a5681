//! # Day 05 — the vote API
//!
//! Fans vote from a web page: `POST /vote` with `{"vote": "NOR"}`. API
//! Gateway (an HTTP API) invokes this Lambda function with the request; the
//! function checks it and puts the vote into the Kinesis stream, where the
//! consumers of days 06 and 07 count it.
//!
//! An API is where untrusted input enters the system, so this handler is
//! mostly about saying *no* well:
//!
//! | problem                                   | answer |
//! |-------------------------------------------|--------|
//! | not `POST` (nor a CORS preflight)         | 405    |
//! | nobody signed in                          | 401    |
//! | an identity too long to key a record      | 400    |
//! | not `Content-Type: application/json`      | 415    |
//! | body over 1 KiB                           | 413    |
//! | not JSON, no `vote`, unknown driver, ...  | 400    |
//! | the stream refused the vote               | 500    |
//!
//! Every refusal is a JSON object whose `message` a person understands, and
//! none reveals internals. Nothing is written unless the vote is valid.
//!
//! **Who votes** comes from the JWT authorizer's `sub` claim, verified by API
//! Gateway before the function runs — never from the body, where anyone can
//! write any name. For the local demo (no identity provider) a header may
//! stand in, and only when the configuration says so.
//!
//! The record's partition key is the voter: one fan's votes stay in order on
//! one shard, and the crowd spreads over all shards. (A constant key would
//! put every vote on one shard.)
//!
//! Work through the `TODO`s from top to bottom, then run `just check 05`.
//! The chapter "Day 05" of the book explains each step; `just hint 05` gives
//! a hint, one level at a time.

pub mod lambda;

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use pitlane::apigw::json_response;
use pitlane::aws::KinesisError;
use pitlane::votes::{Vote, grid, is_driver};
use serde::Deserialize;
use serde_json::json;

/// The environment variables of the function.
pub const STREAM_ENV: &str = "VOTES_STREAM";
pub const ALLOWED_ORIGINS_ENV: &str = "ALLOWED_ORIGINS";
pub const TRUST_USER_HEADER_ENV: &str = "TRUST_USER_HEADER";
/// The header that names the voter in the local demo only.
pub const USER_HEADER: &str = "x-pitlane-user";
/// The largest body accepted: a vote is about 20 bytes.
pub const MAX_BODY_BYTES: usize = 1024;
/// The longest identity a vote can have: it becomes the record's partition
/// key, which Kinesis takes from 1 to 256 characters (counted as Java counts
/// them, in UTF-16 units). Cognito's `sub` is a 36-character UUID, and OpenID
/// Connect allows at most 255; a longer one is no identity a provider issued.
pub const MAX_IDENTITY_CHARS: usize = 256;

/// How the API is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiConfig {
    /// The stream votes go to.
    pub stream: String,
    /// Web origins allowed to call the API from a browser (CORS), such as
    /// `https://vote.example.com`; `*` allows any (the local demo only).
    pub allowed_origins: Vec<String>,
    /// Whether the [`USER_HEADER`] may name the voter when there is no JWT.
    /// Never on a deployed API: anyone can send any header.
    pub trust_user_header: bool,
}

impl ApiConfig {
    /// The configuration from the environment; origins comma-separated.
    pub fn from_env() -> Result<Self, String> {
        let stream = std::env::var(STREAM_ENV)
            .map_err(|_| format!("set {STREAM_ENV} to the stream's name"))?;
        let origins = std::env::var(ALLOWED_ORIGINS_ENV).unwrap_or_default();
        Ok(Self {
            stream,
            allowed_origins: pitlane::apigw::comma_separated(&origins),
            trust_user_header: std::env::var(TRUST_USER_HEADER_ENV).is_ok_and(|v| v == "true"),
        })
    }
}

/// Why a request is refused: each maps to a status and a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("use POST to vote")]
    MethodNotAllowed,
    #[error("who is voting? Sign in first")]
    Unauthorized,
    #[error("send the vote as JSON, with Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("the request body is over {MAX_BODY_BYTES} bytes; a vote is much smaller")]
    PayloadTooLarge,
    #[error("{0}")]
    BadRequest(String),
    #[error("the vote could not be recorded; please try again")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The only body accepted. Unknown fields are refused: in particular a
/// `user`, which must not be mistaken for an identity.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteBody {
    vote: String,
}

// ANCHOR: voter
/// Who is voting: the JWT's `sub` claim, else (if trusted) the demo header.
pub fn voter(request: &Request, config: &ApiConfig) -> Result<String, ApiError> {
    // TODO 1: name the voter from the identity API Gateway verified (the JWT
    //   authorizer's `sub` claim, in the HTTP API's request context); only when
    //   there is none, and only if the configuration trusts it, from the demo
    //   header. A blank value names nobody. The identity keys the vote's record,
    //   so one that Kinesis would refuse as a partition key is a bad request
    //   (told to the caller now, its message naming the identity and the
    //   limit), not a failed write (a 500 later). Chapter: «Day 05 › Who is voting?».
    //   Docs: https://docs.rs/lambda_http/latest/lambda_http/trait.RequestExt.html
    //   (what a request carries besides its headers and body)
    todo!("day 05: who is voting?")
}
// ANCHOR_END: voter

// ANCHOR: read_vote
/// The driver voted for, once the body passed every check.
pub fn read_vote(request: &Request) -> Result<String, ApiError> {
    // TODO 2: accept only what the API promises, a JSON object with a `vote`
    //   string and nothing else, refusing each problem with its `ApiError` in the
    //   order of the table at the top (media type, size, then the content); the
    //   exact refusals are in suites/day05-vote-api/snapshots/. A driver id is
    //   matched ignoring case and surrounding spaces, and returned as the grid
    //   writes it. Chapter: «Day 05 › Saying no, well».
    todo!("day 05: read and check the vote")
}
// ANCHOR_END: read_vote

/// Puts the vote into the stream, keyed by the voter; its sequence number.
pub async fn put_vote(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    vote: &Vote,
) -> Result<String, ApiError> {
    // TODO 3: put the vote, as JSON, into the stream, keyed by the voter, and
    //   return its sequence number. A failure is logged (for us) and answered
    //   with `ApiError::Internal` (for the caller, who must learn nothing of our
    //   internals). Chapter: «Day 05 › The partition key».
    //   Docs: https://docs.rs/aws-sdk-kinesis/latest/aws_sdk_kinesis/client/struct.Client.html#method.put_record
    todo!("day 05: put the vote into the stream")
}

// ANCHOR: handle
/// The Lambda handler. It never fails: every outcome is an HTTP answer, a
/// [`json_response`]:
///
/// - a vote recorded: `202 Accepted` with
///   `{"accepted": true, "vote": "<driver id>", "sequenceNumber": "<its record's>"}`;
/// - a request refused: the error's [`ApiError::status`] with
///   `{"message": "<the error's text>"}`; a `405` also has the header
///   `Allow: POST, OPTIONS`.
pub async fn handle(
    client: &aws_sdk_kinesis::Client,
    config: &ApiConfig,
    request: Request,
) -> Response<Body> {
    // TODO 4: turn every request into an answer (see the doc comment): a CORS
    //   preflight goes to `preflight`; any other request goes through the checks
    //   in the order of the table at the top, and a valid vote, cast now, is put
    //   into the stream. Every answer leaves through `with_cors`.
    //   Chapter: «Day 05 › Saying no, well» and «Day 05 › CORS».
    todo!("day 05: the handler")
}
// ANCHOR_END: handle

/// The answer with the CORS headers for the request's origin, if allowed.
fn with_cors(response: Response<Body>, request: &Request, config: &ApiConfig) -> Response<Body> {
    pitlane::apigw::with_cors(response, request, &config.allowed_origins)
}

/// The answer to a CORS preflight (`OPTIONS`): which method and headers a
/// page from an allowed origin may use. From any other origin the answer
/// has no `Access-Control-Allow-Origin`, and the browser refuses the call.
fn preflight(request: &Request, config: &ApiConfig) -> Response<Body> {
    let response = Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS")
        .header(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            format!("content-type, authorization, {USER_HEADER}"),
        )
        .header(header::ACCESS_CONTROL_MAX_AGE, "600")
        .body(Body::Empty)
        .expect("a static response is valid");
    with_cors(response, request, config)
}
