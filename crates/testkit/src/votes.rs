//! The vote consumers' expectations, worked out from the records alone, and
//! what their results tables hold.

use std::collections::{BTreeMap, HashSet};

use pitlane::lambda::KinesisEventRecord;

use crate::scan_all;

/// What a vote consumer must end with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedVotes {
    /// Per driver, each fan's *first* valid vote.
    pub counts: BTreeMap<String, u64>,
    /// The event ids of the records that are not valid votes, in order.
    pub invalid: Vec<String>,
}

/// The expectations for `records`, in the order a consumer sees them: a
/// record is a valid vote when `pitlane::votes::decode_vote` accepts it and
/// it is at most `max_bytes` long.
pub fn expected_votes<'a>(
    records: impl IntoIterator<Item = &'a KinesisEventRecord>,
    max_bytes: usize,
) -> ExpectedVotes {
    let mut voted = HashSet::new();
    let mut expected = ExpectedVotes::default();
    for record in records {
        let data: &[u8] = &record.kinesis.data;
        match pitlane::votes::decode_vote(data) {
            Ok(vote) if data.len() <= max_bytes => {
                if voted.insert(vote.user.clone()) {
                    *expected.counts.entry(vote.vote).or_default() += 1;
                }
            }
            _ => expected.invalid.push(record.event_id.clone().unwrap_or_default()),
        }
    }
    expected
}

/// A results table (`{"driver": "NOR", "votes": 44}` items) as driver → votes.
pub async fn vote_counts(client: &aws_sdk_dynamodb::Client, table: &str) -> BTreeMap<String, u64> {
    scan_all(client, table)
        .await
        .iter()
        .map(|item| {
            (item["driver"].as_s().unwrap().clone(), item["votes"].as_n().unwrap().parse().unwrap())
        })
        .collect()
}
