//! Day 02's tests, run against the solution: the starter's suite, unchanged.
use day02_put_records_solution as sut;

#[path = "../../../days/day02-put-records/tests/suite/mod.rs"]
mod suite;
