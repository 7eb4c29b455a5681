//! Shared building blocks of the Pitlane workbook.
//!
//! The days teach one idea each; everything that is *not* the idea of the day
//! lives here so that the exercises stay small:
//!
//! - [`apigw`]: API Gateway HTTP API events, as the gateway and tests build them;
//! - [`aws`]: loading the AWS configuration the same way locally and on AWS,
//!   and one readable error type per service for failed calls;
//! - [`dynamodb`]: creating a table the way every day needs one;
//! - [`kinesis`]: small helpers every stream tool needs (listing shards);
//! - [`sensors`]: the simulated trackside sensors that the first days stream;
//! - [`votes`]: the Driver of the Day grid, votes and a simulated crowd;
//! - [`lambda`]: the exact JSON shape in which Lambda hands Kinesis records to
//!   a function, used by the fixture recorder and (later) the local
//!   event-source mapping;
//! - [`retry`]: bounded exponential backoff with jitter;
//! - [`telemetry`]: `tracing` set-up for the command-line tools.

pub mod apigw;
pub mod aws;
pub mod dynamodb;
pub mod kinesis;
pub mod lambda;
pub mod retry;
pub mod sensors;
pub mod telemetry;
pub mod votes;
