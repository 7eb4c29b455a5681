//! Day 06's tests: `just check 06`.
//!
//! The suite lives in `suites/day06-count-votes/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day06_count_votes as sut;

#[path = "../../../suites/day06-count-votes/mod.rs"]
mod suite;
