//! Day 07's tests: `just check 07`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day07_one_vote_per_user as sut;

mod suite;
