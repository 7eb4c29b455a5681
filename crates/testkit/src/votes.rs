//! The vote consumers' expectations, worked out from the records alone, and
//! what their results tables hold.

use std::collections::{BTreeMap, HashSet};

use pitlane::lambda::KinesisEventRecord;
use pitlane::votes::Vote;

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
/// record is a valid vote when [`valid_vote`] says so and it is at most
/// `max_bytes` long.
pub fn expected_votes<'a>(
    records: impl IntoIterator<Item = &'a KinesisEventRecord>,
    max_bytes: usize,
) -> ExpectedVotes {
    let mut voted = HashSet::new();
    let mut expected = ExpectedVotes::default();
    for record in records {
        let data: &[u8] = &record.kinesis.data;
        match valid_vote(data) {
            Some(vote) if data.len() <= max_bytes => {
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

/// The suites' own statement of a valid vote, the oracle their expectations
/// come from: JSON in the [`Vote`] shape, for a driver on the grid, from a
/// user who is not blank and at most 256 UTF-16 units long. (Day 06's
/// `decode_vote` is what the students write and the suites test; this is
/// written apart from it, says nothing about reasons, and is no answer to
/// that day.)
pub fn valid_vote(data: &[u8]) -> Option<Vote> {
    let vote: Vote = serde_json::from_slice(data).ok()?;
    let user_fits = !vote.user.trim().is_empty()
        && vote.user.encode_utf16().count() <= pitlane::votes::MAX_USER_CHARS;
    (pitlane::votes::is_driver(&vote.vote) && user_fits).then_some(vote)
}
