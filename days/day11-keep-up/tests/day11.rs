//! Day 11's tests: `just check 11`.
//!
//! The suite lives in `suites/day11-keep-up/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day11_keep_up as sut;

#[path = "../../../suites/day11-keep-up/mod.rs"]
mod suite;
