//! Day 06's tests: `just check 06`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day06_count_votes as sut;

mod suite;
