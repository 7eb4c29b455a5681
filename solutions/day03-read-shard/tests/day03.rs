//! Day 03's tests: `just check 03`.
//!
//! The suite lives in `suites/day03-read-shard/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day03_read_shard_solution as sut;

#[path = "../../../suites/day03-read-shard/mod.rs"]
mod suite;
