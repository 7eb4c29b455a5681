//! Day 01's tests, run against the solution: the starter's suite, unchanged.
use day01_create_stream_solution as sut;

#[path = "../../../days/day01-create-stream/tests/suite/mod.rs"]
mod suite;
