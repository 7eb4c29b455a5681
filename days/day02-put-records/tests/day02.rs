//! Day 02's tests: `just check 02`.
//!
//! The suite lives in `suites/day02-put-records/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day02_put_records as sut;

#[path = "../../../suites/day02-put-records/mod.rs"]
mod suite;
