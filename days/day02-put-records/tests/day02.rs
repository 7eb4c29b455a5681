//! Day 02's tests: `just check 02`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day02_put_records as sut;

mod suite;
