//! The settings of an event-source mapping, with AWS's names and defaults.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where a new mapping starts reading each shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record still in the shard.
    TrimHorizon,
    /// Records written after the mapping starts.
    Latest,
    /// The first record that arrived at or after this time.
    AtTimestamp(DateTime<Utc>),
}

/// The settings of an event-source mapping (`CreateEventSourceMapping`).
#[derive(Clone, Debug)]
pub struct EsmConfig {
    /// The stream's name.
    pub stream: String,
    /// `BatchSize`: the most records in one invocation (1 to 10,000; AWS
    /// default 100).
    pub batch_size: usize,
    /// `MaximumBatchingWindowInSeconds`: how long to gather records before
    /// invoking with a batch smaller than `batch_size` (default 0: invoke
    /// with whatever one `GetRecords` call returned).
    pub maximum_batching_window: Duration,
    /// `StartingPosition`.
    pub starting_position: StartingPosition,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub report_batch_item_failures: bool,
    /// `MaximumRetryAttempts`: retries after the first attempt; `None` is
    /// AWS's default -1 (retry until the record expires).
    pub maximum_retry_attempts: Option<u32>,
    /// `MaximumRecordAgeInSeconds`: records older than this (by their
    /// arrival in the stream) are never sent to the function, first time or
    /// retry, but given up; `None` is AWS's default -1 (no limit but the
    /// stream's retention). AWS takes 60 seconds to 7 days.
    pub maximum_record_age: Option<Duration>,
    /// `BisectBatchOnFunctionError`.
    pub bisect_batch_on_function_error: bool,
    /// `ParallelizationFactor`: how many batches of one shard are in flight
    /// at once (1 to 10, default 1). A partition key's records stay in
    /// order, and are never in two batches in flight at once.
    pub parallelization_factor: usize,
    /// `DestinationConfig.OnFailure`: where the metadata of every batch
    /// given up is sent, in AWS's shape.
    pub on_failure: Option<OnFailure>,
    /// The function's timeout (Lambda's default is 3 seconds).
    pub function_timeout: Duration,
    /// The pause before retrying a failed batch.
    pub retry_delay: Duration,
    /// The pause between polls of a shard that had no new records (Lambda
    /// polls each shard about once per second).
    pub poll_interval: Duration,
    /// How often the shards are listed again, to find new ones.
    pub shard_discovery_interval: Duration,
}

impl EsmConfig {
    /// AWS's defaults for `stream`, starting at `TRIM_HORIZON`.
    pub fn new(stream: impl Into<String>) -> Self {
        Self {
            stream: stream.into(),
            batch_size: 100,
            maximum_batching_window: Duration::ZERO,
            starting_position: StartingPosition::TrimHorizon,
            report_batch_item_failures: false,
            maximum_retry_attempts: None,
            maximum_record_age: None,
            bisect_batch_on_function_error: false,
            parallelization_factor: 1,
            on_failure: None,
            function_timeout: Duration::from_secs(3),
            retry_delay: Duration::from_millis(200),
            poll_interval: Duration::from_secs(1),
            shard_discovery_interval: Duration::from_secs(10),
        }
    }

    /// Refuses the settings AWS refuses.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=10_000).contains(&self.batch_size) {
            return Err(format!("BatchSize must be 1 to 10,000, not {}", self.batch_size));
        }
        if self.maximum_batching_window > Duration::from_secs(300) {
            return Err("MaximumBatchingWindowInSeconds must be at most 300".to_owned());
        }
        if self.maximum_retry_attempts.is_some_and(|n| n > 10_000) {
            return Err("MaximumRetryAttempts must be -1 or 0 to 10,000".to_owned());
        }
        let ages = Duration::from_secs(60)..=Duration::from_secs(604_800);
        if self.maximum_record_age.is_some_and(|age| !ages.contains(&age)) {
            return Err("MaximumRecordAgeInSeconds must be -1 or 60 to 604,800".to_owned());
        }
        if !(1..=10).contains(&self.parallelization_factor) {
            return Err(format!(
                "ParallelizationFactor must be 1 to 10, not {}",
                self.parallelization_factor
            ));
        }
        if self.function_timeout.is_zero() || self.function_timeout > Duration::from_secs(900) {
            return Err("a function's timeout is 1 second to 15 minutes".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_aws_defaults() {
        let config = EsmConfig::new("votes");
        assert_eq!(config.batch_size, 100);
        assert_eq!(config.maximum_batching_window, Duration::ZERO);
        assert_eq!(config.maximum_retry_attempts, None);
        assert_eq!(config.maximum_record_age, None);
        assert!(!config.report_batch_item_failures && !config.bisect_batch_on_function_error);
        assert_eq!(config.function_timeout, Duration::from_secs(3));
        assert_eq!(config.parallelization_factor, 1);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn settings_aws_refuses_are_refused() {
        let with = |change: fn(&mut EsmConfig)| {
            let mut config = EsmConfig::new("votes");
            change(&mut config);
            config.validate()
        };
        assert!(with(|c| c.batch_size = 0).unwrap_err().contains("BatchSize"));
        assert!(with(|c| c.batch_size = 10_001).is_err());
        assert!(with(|c| c.batch_size = 10_000).is_ok());
        assert!(with(|c| c.maximum_batching_window = Duration::from_secs(301)).is_err());
        assert!(with(|c| c.maximum_retry_attempts = Some(10_001)).is_err());
        let aged = |seconds| {
            let mut config = EsmConfig::new("votes");
            config.maximum_record_age = Some(Duration::from_secs(seconds));
            config.validate()
        };
        assert!(aged(59).unwrap_err().contains("MaximumRecordAgeInSeconds"));
        assert!(aged(60).is_ok() && aged(604_800).is_ok());
        assert!(aged(604_801).is_err());
        assert!(with(|c| c.function_timeout = Duration::ZERO).is_err());
        assert!(with(|c| c.parallelization_factor = 0).unwrap_err().contains("Parallelization"));
        assert!(with(|c| c.parallelization_factor = 11).is_err());
        assert!(with(|c| c.parallelization_factor = 10).is_ok());
    }
}

/// An on-failure destination (`DestinationConfig.OnFailure`).
#[derive(Clone, Debug)]
pub enum OnFailure {
    /// An SQS queue, as `template.yaml` names one (`FailedBatchesQueue`):
    /// one message per batch given up, its body the record AWS sends.
    #[cfg(feature = "sqs")]
    Sqs { client: aws_sdk_sqs::Client, queue_url: String },
    /// A JSON-lines file, one record a line (the `esm` command-line tool,
    /// and the recorder, which have no queue).
    File(PathBuf),
}
