//! Day 10's tests: `just check 10`.
//!
//! The suite lives in `suites/day10-scaling/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day10_scaling as sut;

#[path = "../../../suites/day10-scaling/mod.rs"]
mod suite;
