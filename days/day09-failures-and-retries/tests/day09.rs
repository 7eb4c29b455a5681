//! Day 09's tests: `just check 09`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day09_failures_and_retries as sut;

mod suite;
