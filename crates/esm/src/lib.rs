//! A local Kinesis **event-source mapping** (ESM).
//!
//! A Kinesis-triggered Lambda function never reads the stream itself. AWS's
//! event-source mapping does: for every shard it polls `GetRecords`, gathers
//! a batch, invokes the function with it, and moves its checkpoint forward
//! only when the function succeeded. Offline there is no such service, so
//! Pitlane has this one, faithful to what AWS documents:
//!
//! - one poller per shard, shards listed at start and again periodically;
//! - in order per shard, **one batch in flight per shard**; the checkpoint
//!   moves only after a success (or after a batch is given up, see below);
//! - batches of up to [`EsmConfig::batch_size`] records (default 100, at most
//!   10,000), gathered for up to [`EsmConfig::maximum_batching_window`];
//! - the event is exactly the JSON Lambda sends (`pitlane::lambda`);
//! - a function *error* (an `Err`, a panic, a timeout) retries the batch, up
//!   to [`EsmConfig::maximum_retry_attempts`] (unlimited by default, as on
//!   AWS: a poison record then blocks its shard);
//! - with [`EsmConfig::report_batch_item_failures`], the function may answer
//!   `{"batchItemFailures": [{"itemIdentifier": "<sequence number>"}]}`:
//!   everything before the lowest failed record is checkpointed and the
//!   batch is retried from that record on;
//! - with [`EsmConfig::bisect_batch_on_function_error`], a failed batch is
//!   split in two halves that are retried separately, which isolates a bad
//!   record in a batch of its own;
//! - a batch whose retries are exhausted is skipped, and its metadata is
//!   sent to the [`EsmConfig::on_failure`] destination (an SQS queue, as the
//!   template names one, or a JSON-lines file) in AWS's on-failure record
//!   shape, with no field of its own, so nothing vanishes silently.
//!
//! The function is an async handler in the same process ([`InProcess`],
//! the very function the Lambda binary wraps), the Lambda binary itself run
//! under a local Runtime API ([`RuntimeApiProcess`]), or a Lambda Invoke
//! endpoint over HTTP ([`HttpInvoker`], e.g. `cargo lambda watch`).
//!
//! [`shards`] holds the stream plumbing the mapping shares with the fixture
//! recorder (`src/bin/record.rs`, `just record`) and the tests.
//!
//! - with [`EsmConfig::parallelization_factor`] N, up to N batches of one
//!   shard are in flight at once, split by partition key so that a key's
//!   records stay in order and are never in two batches in flight; the
//!   checkpoint never moves past a record that is not done.
//!
//! Differences from AWS: no tumbling windows, no filtering; the concurrent
//! batches of a read all finish before the next read (AWS keeps reading).
//! Where AWS leaves a detail unspecified, this ESM chooses and says so: the
//! two halves of a bisected batch start with a fresh retry count.

mod config;
mod delivery;
mod invoke;
mod mapping;
mod on_failure;
mod runtime_api;
pub mod shards;
mod worker;

pub use config::{EsmConfig, OnFailure, StartingPosition};
pub use delivery::MAX_PAYLOAD_BYTES;
pub use invoke::{FunctionError, HttpInvoker, InProcess, Invoke};
pub use mapping::{EsmError, EsmReport, EsmReporter, EventSourceMapping, run_until_caught_up};
pub use on_failure::{FailureRecord, KinesisBatchInfo, RequestContext, ResponseContext};
pub use runtime_api::RuntimeApiProcess;
pub use worker::MIN_GET_RECORDS_INTERVAL;
