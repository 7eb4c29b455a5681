//! Day 09's tests, run against the solution: the starter's suite, unchanged.
use day09_failures_and_retries_solution as sut;

#[path = "../../../days/day09-failures-and-retries/tests/suite/mod.rs"]
mod suite;
