//! Day 09's tests: `just check 09`.
//!
//! The suite lives in `suites/day09-failures-and-retries/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day09_failures_and_retries_solution as sut;

#[path = "../../../suites/day09-failures-and-retries/mod.rs"]
mod suite;
