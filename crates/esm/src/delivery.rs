//! Delivery and judging: how a batch goes to the function, how its answer
//! is judged, and how the checkpoint moves — the AWS behaviour the
//! conformance table of the book's event-source mapping chapter cites.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use aws_sdk_kinesis::types::Record;
use chrono::{DateTime, Utc};
use pitlane::lambda::{KinesisEvent, batch};

use crate::invoke::{FunctionError, function_arn};
use crate::mapping::EsmError;
use crate::on_failure::{
    FailureRecord, KinesisBatchInfo, RECORD_AGE_EXCEEDED, RETRY_ATTEMPTS_EXHAUSTED, RequestContext,
    ResponseContext,
};
use crate::worker::{ShardWorker, backoff};

/// The largest event Lambda accepts for a synchronous invocation, 6 MB
/// (6,291,456 bytes); an event-source mapping never sends a bigger one, and
/// cuts the batch short instead.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// When Kinesis received `record`, if it says.
fn arrival(record: &Record) -> Option<DateTime<Utc>> {
    record
        .approximate_arrival_timestamp()
        .and_then(|t| t.to_millis().ok())
        .and_then(DateTime::from_timestamp_millis)
}

/// How the function's answer to one batch is judged.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Every record succeeded.
    Success,
    /// `batchItemFailures`: records from this index on are to be retried.
    FailedFrom(usize),
    /// The whole batch failed: a function error.
    Failed(String),
    /// The function was never run (unreachable, throttled, not started):
    /// retried, but not a function error.
    NotInvoked(String),
}

/// Which records of one read are done, for the checkpoint. With several
/// batches of a shard in flight (`ParallelizationFactor`), they finish in
/// any order; the checkpoint moves only past records that are all done, so
/// that a stop or a crash never skips a record still in flight.
pub(crate) struct Progress {
    position: HashMap<String, usize>,
    order: Vec<String>,
    /// Which records are done, and how many from the first are all done.
    done: Mutex<(Vec<bool>, usize)>,
}

impl Progress {
    pub(crate) fn new(records: &[Record]) -> Self {
        let order: Vec<String> = records.iter().map(|r| r.sequence_number().to_owned()).collect();
        let position = order.iter().enumerate().map(|(i, seq)| (seq.clone(), i)).collect();
        Self { position, done: Mutex::new((vec![false; order.len()], 0)), order }
    }

    /// Marks `records` done; the new checkpoint (the last record of the
    /// longest run of done records from the first) if it moved.
    pub(crate) fn mark(&self, records: &[Record]) -> Option<String> {
        let mut done = self.done.lock().expect("progress lock");
        let (flags, prefix) = &mut *done;
        for record in records {
            if let Some(&i) = self.position.get(record.sequence_number()) {
                flags[i] = true;
            }
        }
        let before = *prefix;
        while *prefix < flags.len() && flags[*prefix] {
            *prefix += 1;
        }
        (*prefix > before).then(|| self.order[*prefix - 1].clone())
    }
}

/// The lane of a partition key among `lanes`: MD5 of the key, as Kinesis
/// hashes it, modulo the lanes. AWS does not document how it assigns keys to
/// a shard's concurrent batches; any fixed assignment keeps a key's records
/// in one lane, which is what it does guarantee.
pub(crate) fn lane_of(partition_key: &str, lanes: usize) -> usize {
    let digest = md5::compute(partition_key.as_bytes());
    let high = u64::from_be_bytes(digest.0[..8].try_into().expect("8 bytes"));
    (high % lanes as u64) as usize
}

impl ShardWorker {
    /// Delivers what one read returned. With a `ParallelizationFactor` of N,
    /// the records are split in N lanes by partition key, each lane's records
    /// in order and cut into batches of at most `BatchSize`; the lanes run at
    /// once, each one batch at a time, so at most N batches are in flight and
    /// a key is never in two of them. The next read waits for all lanes.
    pub(crate) async fn deliver_read(&self, records: Vec<Record>) -> Result<(), EsmError> {
        let progress = Progress::new(&records);
        let config = &self.mapping.config;
        let factor = config.parallelization_factor.max(1);
        if factor == 1 {
            return self.deliver(records, &progress).await;
        }
        let mut lanes: Vec<Vec<Record>> = vec![Vec::new(); factor];
        for record in records {
            lanes[lane_of(record.partition_key().unwrap_or_default(), factor)].push(record);
        }
        let runs = lanes.into_iter().filter(|lane| !lane.is_empty()).map(|lane| {
            let progress = &progress;
            async move {
                for batch in lane.chunks(config.batch_size) {
                    self.deliver(batch.to_vec(), progress).await?;
                }
                Ok::<(), EsmError>(())
            }
        });
        futures::future::try_join_all(runs).await?;
        Ok(())
    }

    /// The first records of `records` whose event stays within
    /// [`MAX_PAYLOAD_BYTES`] (at least one), the event that carries them,
    /// and the rest.
    fn within_payload_limit(
        &self,
        mut records: Vec<Record>,
    ) -> (Vec<Record>, KinesisEvent, Vec<Record>) {
        let envelope = pitlane::lambda::to_lambda_json(&batch(Vec::new())).len();
        let mut size = envelope;
        let mut event = batch(Vec::with_capacity(records.len()));
        for record in &records {
            let one = batch(vec![self.mapping.source.event_record(&self.shard, record)]);
            // Each record adds its own JSON and a comma.
            size += pitlane::lambda::to_lambda_json(&one).len() - envelope + 1;
            if size > MAX_PAYLOAD_BYTES && !event.records.is_empty() {
                break;
            }
            event.records.extend(one.records);
        }
        let rest = records.split_off(event.records.len());
        (records, event, rest)
    }

    /// Invokes the function with `records` until they are all processed or
    /// given up, moving the checkpoint as it goes.
    ///
    /// - A function error retries the batch (counting against
    ///   `MaximumRetryAttempts`), or with `BisectBatchOnFunctionError` splits
    ///   it in halves, each retried on its own.
    /// - A partial failure (`batchItemFailures`) checkpoints before the
    ///   lowest reported record and retries from it; with bisect on too, AWS
    ///   splits the batch *at* that record rather than in halves, which is
    ///   the same thing: only the records from it on are retried.
    /// - An invocation that never ran the function (unreachable, refused,
    ///   not started) is retried with a growing pause and counts for nothing:
    ///   AWS does not count it as a retry.
    async fn deliver(&self, records: Vec<Record>, progress: &Progress) -> Result<(), EsmError> {
        let config = &self.mapping.config;
        let mut queue = VecDeque::from([(records, 0u32)]);
        let mut not_invoked = 0u32;
        while let Some((records, retries)) = queue.pop_front() {
            let (expired, records) = self.split_expired(records);
            if !expired.is_empty() {
                let error = "the records are older than MaximumRecordAgeInSeconds";
                self.give_up(progress, &expired, retries, RECORD_AGE_EXCEEDED, error).await?;
            }
            if records.is_empty() {
                continue;
            }
            let (records, event, rest) = self.within_payload_limit(records);
            if !rest.is_empty() {
                // Delivered after these (and their retries), as a batch of its own.
                queue.push_front((rest, 0));
            }
            // Lambda's IteratorAge: the age of the batch's last record.
            let age = records
                .last()
                .and_then(arrival)
                .map(|at| (Utc::now() - at).num_milliseconds().max(0) as u64);
            self.mapping.update(|report| {
                report.invocations += 1;
                report.records_delivered += records.len() as u64;
                if let Some(age) = age {
                    report.iterator_age_ms.insert(self.shard.clone(), age);
                    report.max_iterator_age_ms = report.max_iterator_age_ms.max(age);
                }
            });
            let verdict = judge(
                &records,
                self.mapping.function.invoke(event).await,
                config.report_batch_item_failures,
            );
            let (failed_from, error, whole_batch) = match verdict {
                Verdict::Success => {
                    not_invoked = 0;
                    self.checkpoint(progress, &records);
                    continue;
                }
                Verdict::NotInvoked(error) => {
                    not_invoked += 1;
                    let pause = backoff(config.retry_delay, not_invoked);
                    tracing::warn!(shard = %self.shard, %error, ?pause, "the function could not be invoked: retrying, not counted");
                    tokio::time::sleep(pause).await;
                    queue.push_front((records, retries));
                    continue;
                }
                Verdict::FailedFrom(index) => {
                    (index, "the function reported batch item failures".to_owned(), false)
                }
                Verdict::Failed(error) => (0, error, true),
            };
            not_invoked = 0;
            tracing::warn!(shard = %self.shard, records = records.len(), failed_from, retries, %error, "batch failed");
            self.checkpoint(progress, &records[..failed_from]);
            let rest = records[failed_from..].to_vec();
            if whole_batch && config.bisect_batch_on_function_error && rest.len() > 1 {
                // Split and retry the halves, each with a fresh retry count.
                let second = rest[rest.len() / 2..].to_vec();
                let first = rest[..rest.len() / 2].to_vec();
                queue.push_front((second, 0));
                queue.push_front((first, 0));
            } else if config.maximum_retry_attempts.is_some_and(|max| retries >= max) {
                self.give_up(progress, &rest, retries + 1, RETRY_ATTEMPTS_EXHAUSTED, &error)
                    .await?;
            } else {
                tokio::time::sleep(config.retry_delay).await;
                queue.push_front((rest, retries + 1));
            }
        }
        Ok(())
    }

    /// Records that `done` (processed by the function) are done, and moves
    /// the checkpoint as far as every record before it is done too.
    fn checkpoint(&self, progress: &Progress, done: &[Record]) {
        if done.is_empty() {
            return;
        }
        let moved = progress.mark(done);
        self.mapping.update(|report| {
            report.records_succeeded += done.len() as u64;
            if let Some(last) = moved {
                report.checkpoints.insert(self.shard.clone(), last);
            }
        });
    }

    /// The leading records of `records` older than `MaximumRecordAgeInSeconds`
    /// (by their arrival in the stream), which the function must not be sent,
    /// and the others. A shard's records arrive in order, so the old ones
    /// come first.
    fn split_expired(&self, mut records: Vec<Record>) -> (Vec<Record>, Vec<Record>) {
        let Some(age) = self.mapping.config.maximum_record_age else {
            return (Vec::new(), records);
        };
        let oldest_allowed = Utc::now() - age;
        let expired =
            records.iter().take_while(|r| arrival(r).is_some_and(|at| at < oldest_allowed)).count();
        let rest = records.split_off(expired);
        (records, rest)
    }

    /// Skips `records` for good: records their metadata at the on-failure
    /// destination (and in the report), and checkpoints past them.
    /// `condition` is AWS's reason: [`RETRY_ATTEMPTS_EXHAUSTED`] or
    /// [`RECORD_AGE_EXCEEDED`].
    async fn give_up(
        &self,
        progress: &Progress,
        records: &[Record],
        invokes: u32,
        condition: &str,
        error: &str,
    ) -> Result<(), EsmError> {
        let (first, last) = (&records[0], &records[records.len() - 1]);
        let failure = FailureRecord {
            request_context: RequestContext {
                request_id: format!("pitlane-esm-{}-{}", self.shard, first.sequence_number()),
                function_arn: function_arn(self.mapping.function.function_name()),
                condition: condition.to_owned(),
                approximate_invoke_count: invokes,
            },
            response_context: ResponseContext {
                status_code: 200,
                executed_version: "$LATEST".to_owned(),
                function_error: "Unhandled".to_owned(),
            },
            version: "1.0".to_owned(),
            timestamp: Utc::now(),
            kinesis_batch_info: KinesisBatchInfo {
                shard_id: self.shard.clone(),
                start_sequence_number: first.sequence_number().to_owned(),
                end_sequence_number: last.sequence_number().to_owned(),
                approximate_arrival_of_first_record: arrival(first),
                approximate_arrival_of_last_record: arrival(last),
                batch_size: records.len(),
                stream_arn: self.mapping.source.stream_arn.clone(),
            },
        };
        tracing::error!(
            shard = %self.shard,
            records = records.len(),
            invokes,
            %condition,
            first = %failure.kinesis_batch_info.start_sequence_number,
            last = %failure.kinesis_batch_info.end_sequence_number,
            %error,
            "batch given up: skipped, its metadata sent to the on-failure destination"
        );
        if let Some(destination) = &self.mapping.config.on_failure {
            crate::on_failure::send(destination, &failure).await?;
        }
        let moved = progress.mark(records);
        self.mapping.update(|report| {
            report.records_given_up += records.len() as u64;
            if let Some(last) = moved {
                report.checkpoints.insert(self.shard.clone(), last);
            }
            report.failures.push(failure);
        });
        Ok(())
    }
}

/// Judges the function's answer as Lambda does.
///
/// Without `ReportBatchItemFailures`, any answer is a success. With it, an
/// answer listing failures means "retry from the lowest failed record"; a
/// failure whose `itemIdentifier` is empty or not in the batch makes the
/// whole batch a failure.
fn judge(
    records: &[Record],
    answer: Result<serde_json::Value, FunctionError>,
    report_item_failures: bool,
) -> Verdict {
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) if !error.is_function_error() => return Verdict::NotInvoked(error.to_string()),
        Err(error) => return Verdict::Failed(error.to_string()),
    };
    if !report_item_failures {
        return Verdict::Success;
    }
    let Some(failures) = answer.get("batchItemFailures").and_then(|f| f.as_array()) else {
        return Verdict::Success;
    };
    let mut lowest: Option<usize> = None;
    for failure in failures {
        let id = failure.get("itemIdentifier").and_then(|id| id.as_str()).unwrap_or_default();
        match records.iter().position(|record| record.sequence_number() == id) {
            Some(index) => lowest = Some(lowest.map_or(index, |l| l.min(index))),
            None => {
                return Verdict::Failed(format!(
                    "invalid batch item failure itemIdentifier {id:?}"
                ));
            }
        }
    }
    lowest.map_or(Verdict::Success, Verdict::FailedFrom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::primitives::Blob;
    use serde_json::json;

    fn records(count: usize) -> Vec<Record> {
        (0..count)
            .map(|i| {
                Record::builder()
                    .sequence_number(format!("{}", 1000 + i))
                    .partition_key("k")
                    .data(Blob::new("{}"))
                    .build()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn an_error_fails_the_whole_batch() {
        let verdict = judge(&records(3), Err(FunctionError::Unhandled("boom".into())), true);
        assert_eq!(verdict, Verdict::Failed("function error: boom".into()));
    }

    #[test]
    fn without_report_batch_item_failures_any_answer_is_a_success() {
        let answer = json!({"batchItemFailures": [{"itemIdentifier": "1001"}]});
        assert_eq!(judge(&records(3), Ok(answer), false), Verdict::Success);
    }

    #[test]
    fn an_empty_or_missing_list_is_a_success() {
        for answer in [
            json!(null),
            json!({}),
            json!({"batchItemFailures": []}),
            json!({"batchItemFailures": null}),
        ] {
            assert_eq!(judge(&records(3), Ok(answer), true), Verdict::Success);
        }
    }

    #[test]
    fn the_lowest_failed_record_is_where_the_retry_starts() {
        let answer =
            json!({"batchItemFailures": [{"itemIdentifier": "1003"}, {"itemIdentifier": "1001"}]});
        assert_eq!(judge(&records(5), Ok(answer), true), Verdict::FailedFrom(1));
    }

    #[test]
    fn an_unknown_or_empty_item_identifier_fails_the_whole_batch() {
        for id in [json!("999"), json!(""), json!(null)] {
            let answer = json!({"batchItemFailures": [{"itemIdentifier": id}]});
            assert!(matches!(judge(&records(3), Ok(answer), true), Verdict::Failed(_)));
        }
    }

    #[test]
    fn the_checkpoint_never_passes_a_record_that_is_not_done() {
        let all = records(6);
        let progress = Progress::new(&all);
        // A later lane finishes first: nothing before it is done yet.
        assert_eq!(progress.mark(&all[3..5]), None);
        assert_eq!(progress.mark(&all[1..2]), None);
        assert_eq!(progress.mark(&all[0..1]), Some("1001".to_owned()), "0 and 1 done");
        assert_eq!(progress.mark(&all[2..3]), Some("1004".to_owned()), "0 to 4 done");
        assert_eq!(progress.mark(&all[5..6]), Some("1005".to_owned()));
        assert_eq!(progress.mark(&all[5..6]), None, "marking again moves nothing");
    }

    #[test]
    fn a_key_always_goes_to_the_same_lane_and_keys_spread_over_the_lanes() {
        assert_eq!(lane_of("fan-0001", 4), lane_of("fan-0001", 4));
        let lanes: std::collections::BTreeSet<usize> =
            (0..200).map(|i| lane_of(&format!("fan-{i:04}"), 4)).collect();
        assert_eq!(lanes.into_iter().collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(lane_of("anything", 1), 0);
    }
}
