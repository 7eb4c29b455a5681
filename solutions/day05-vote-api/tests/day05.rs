//! Day 05's tests: `just check 05`.
//!
//! The suite lives in `suites/day05-vote-api/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day05_vote_api_solution as sut;

#[path = "../../../suites/day05-vote-api/mod.rs"]
mod suite;
