//! Day 05's tests: `just check 05`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day05_vote_api as sut;

mod suite;
