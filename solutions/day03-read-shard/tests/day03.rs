//! Day 03's tests, run against the solution: the starter's suite, unchanged.
use day03_read_shard_solution as sut;

#[path = "../../../days/day03-read-shard/tests/suite/mod.rs"]
mod suite;
