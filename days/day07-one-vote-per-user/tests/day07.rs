//! Day 07's tests: `just check 07`.
//!
//! The suite lives in `suites/day07-one-vote-per-user/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day07_one_vote_per_user as sut;

#[path = "../../../suites/day07-one-vote-per-user/mod.rs"]
mod suite;
