//! Day 01's tests: `just check 01`.
//!
//! The suite lives in `suites/day01-create-stream/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day01_create_stream_solution as sut;

#[path = "../../../suites/day01-create-stream/mod.rs"]
mod suite;
