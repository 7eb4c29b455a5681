//! Day 01's tests: `just check 01`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day01_create_stream as sut;

mod suite;
