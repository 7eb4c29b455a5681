//! Day 10's tests: `just check 10`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day10_scaling as sut;

mod suite;
