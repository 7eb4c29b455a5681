//! Day 12's tests: `just check 12`.
//!
//! The suite lives in `suites/day12-archive-replay/`: the starter and the
//! solution both run that one file, so the tests exist once.
use day12_archive_replay as sut;

#[path = "../../../suites/day12-archive-replay/mod.rs"]
mod suite;
