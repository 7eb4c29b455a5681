//! Day 04's tests: `just check 04`.
//!
//! The suite lives in `suites/day04-event-logs/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day04_event_logs as sut;

#[path = "../../../suites/day04-event-logs/mod.rs"]
mod suite;
