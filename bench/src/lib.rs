//! Shared by the two benchmarks: `benches/handler_core.rs` (criterion: the
//! handler core of a 10,000-vote batch) and `benches/pitlane.rs` (the rest,
//! and the table). Run them with `just bench`.

use aws_sdk_kinesis::primitives::{Blob, DateTime as SdkDateTime};
use aws_sdk_kinesis::types::Record;
use pitlane::lambda::{EventSource, batch, to_lambda_json};
use pitlane::votes::Crowd;

/// The handler core benchmarks (`benches/handler_core.rs`): the whole, and
/// its two halves.
pub const HANDLER_CORE_WHOLE: &str = "10000_votes";
pub const HANDLER_CORE_PARSE_EVENT: &str = "parse_event_only";
pub const HANDLER_CORE_PER_RECORD: &str = "tally_only";

/// Where criterion leaves its estimates of handler core benchmark `name`,
/// relative to the target folder.
pub fn handler_core_estimates(name: &str) -> String {
    format!("criterion/handler_core/{name}/new/estimates.json")
}

/// `count` votes as one Lambda batch (JSON text), from 2 shards' worth of
/// realistic records.
pub fn vote_batch(count: usize) -> String {
    let source =
        EventSource::for_stream("arn:aws:kinesis:us-east-1:123456789012:stream/pitlane-votes");
    let records = Crowd::new(7, (count * 3) as u32)
        .votes(count)
        .iter()
        .enumerate()
        .map(|(i, vote)| {
            let record = Record::builder()
                .sequence_number(format!(
                    "4968057689197816785171793810259171841268897080759497{i:05}"
                ))
                .partition_key(&vote.user)
                .data(Blob::new(serde_json::to_vec(vote).unwrap()))
                .approximate_arrival_timestamp(SdkDateTime::from_millis(
                    1_783_265_520_000 + i as i64,
                ))
                .build()
                .unwrap();
            source.event_record("shardId-000000000000", &record)
        })
        .collect();
    to_lambda_json(&batch(records))
}
