//! Day 03's tests: `just check 03`.
//!
//! The tests live in `suite/`; the solution crate runs that very same file
//! against its own library, so there is one copy of the tests and snapshots.
use day03_read_shard as sut;

mod suite;
