//! Day 08's tests: `just check 08`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day08_results_api as sut;

mod suite;
