//! Shared building blocks of the Pitlane workbook.
//!
//! The days teach one idea each; everything that is *not* the idea of any day
//! lives here so that the exercises stay small:
//!
//! - [`apigw`]: API Gateway HTTP API events, as the gateway and tests build
//!   them, and the JSON answers with CORS headers that the APIs give;
//! - [`aws`]: loading the AWS configuration the same way locally and on AWS,
//!   and one readable error type per service for failed calls;
//! - [`dynamodb`]: creating a table the way every day needs one;
//! - [`sensors`]: the simulated trackside sensors that the first days stream;
//! - [`votes`]: the Driver of the Day grid, the `Vote` type and a simulated
//!   crowd;
//! - [`lambda`]: the exact JSON shape in which Lambda hands Kinesis records to
//!   a function, used by the fixture recorder and the local event-source
//!   mapping;
//! - [`telemetry`]: `tracing` set-up for the command-line tools.
//!
//! # The rule for reuse: how a later day uses what an earlier day built
//!
//! **This crate holds no day's answer.** A student browses it from day 01 on,
//! so nothing here is code that some day's `TODO`s ask for. When a later day
//! needs an earlier day's work, it **depends on that day's crate**:
//!
//! - a solution on the earlier day's *solution*
//!   (`day02-put-records-solution.workspace = true`), and, through the
//!   generator (`just gen`), the starter on the earlier day's *starter*:
//!   a student's day 09 counts votes with the `record_vote` they wrote on day
//!   07, and retries with the backoff they wrote on day 02;
//! - the reused item is re-exported where the later day's own API names it
//!   (`pub use day02_put_records_solution::RetryPolicy;` in day 04 and 09), so
//!   callers need not know where it was built.
//!
//! Today: day 04 and day 09 use day 02's `RetryPolicy` (backoff with jitter);
//! day 07 and day 09 use day 06's `decode_vote` (what a valid vote is); day 09
//! uses day 07's `record_vote` (the exactly-once count); day 11 uses day 09's
//! poison check, dead letters and retries. Crates outside the
//! days (`crates/demo`, `crates/reliability`, `bench/`) use solutions only.
//!
//! Dependencies point down, never up: `days/` → `crates/` (and earlier
//! `days/`); `solutions/` → `crates/` (and earlier `solutions/`). No crate
//! outside `days/` takes code from `days/`, no starter names a solution, and
//! nothing is included with `#[path]` from `days/`, which is the students'
//! to edit.

pub mod apigw;
pub mod aws;
pub mod dynamodb;
pub mod lambda;
pub mod sensors;
pub mod telemetry;
pub mod votes;
