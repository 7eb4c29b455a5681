//! Day 04's tests: `just check 04`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day04_event_logs as sut;

mod suite;
