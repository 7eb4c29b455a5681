//! `pitlane-esm`: the local event-source mapping as a command, invoking a
//! function over Lambda's HTTP Invoke API — for example one served by
//! `cargo lambda watch` (`http://127.0.0.1:9000`).
//!
//! ```console
//! $ cargo lambda watch &                       # serves the workspace's Lambda binaries
//! $ cargo run -p pitlane-esm -- --stream pitlane-votes --function count-votes \
//!       --report-batch-item-failures --maximum-retry-attempts 3
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use clap::Parser;
use pitlane_esm::{EsmConfig, EventSourceMapping, HttpInvoker, StartingPosition};

#[derive(Parser)]
#[command(
    about = "Feed a Kinesis stream's batches to a Lambda function, as AWS's event-source mapping does"
)]
struct Args {
    /// The stream to read.
    #[arg(long)]
    stream: String,
    /// The function's name.
    #[arg(long)]
    function: String,
    /// The Lambda Invoke endpoint.
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    endpoint: String,
    /// BatchSize (1 to 10,000).
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// MaximumBatchingWindowInSeconds.
    #[arg(long, default_value_t = 0)]
    maximum_batching_window: u64,
    /// Start at the newest records instead of the oldest (TRIM_HORIZON).
    #[arg(long)]
    latest: bool,
    /// FunctionResponseTypes: ReportBatchItemFailures.
    #[arg(long)]
    report_batch_item_failures: bool,
    /// MaximumRetryAttempts (unlimited when not given, as AWS's -1).
    #[arg(long)]
    maximum_retry_attempts: Option<u32>,
    /// BisectBatchOnFunctionError.
    #[arg(long)]
    bisect_batch_on_function_error: bool,
    /// ParallelizationFactor: batches of one shard in flight at once (1 to 10).
    #[arg(long, default_value_t = 1)]
    parallelization_factor: usize,
    /// The on-failure destination: a JSON-lines file.
    #[arg(long, default_value = ".pitlane/esm-failures.jsonl")]
    on_failure: PathBuf,
    /// The function's timeout in seconds.
    #[arg(long, default_value_t = 3)]
    timeout: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    pitlane::telemetry::init();
    let args = Args::parse();
    let kinesis = aws_sdk_kinesis::Client::new(&pitlane::aws::load_config().await);
    let timeout = Duration::from_secs(args.timeout);
    let config = EsmConfig {
        batch_size: args.batch_size,
        maximum_batching_window: Duration::from_secs(args.maximum_batching_window),
        starting_position: if args.latest {
            StartingPosition::Latest
        } else {
            StartingPosition::TrimHorizon
        },
        report_batch_item_failures: args.report_batch_item_failures,
        maximum_retry_attempts: args.maximum_retry_attempts,
        bisect_batch_on_function_error: args.bisect_batch_on_function_error,
        parallelization_factor: args.parallelization_factor,
        on_failure: Some(pitlane_esm::OnFailure::File(args.on_failure)),
        function_timeout: timeout,
        ..EsmConfig::new(&args.stream)
    };
    let function = HttpInvoker::new(&args.endpoint, &args.function, timeout);
    let mapping = EventSourceMapping::start(kinesis, config, Arc::new(function)).await?;
    tracing::info!(stream = %args.stream, function = %args.function, "event-source mapping running; Ctrl-C stops it");
    tokio::signal::ctrl_c().await?;
    let report = mapping.stop().await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
