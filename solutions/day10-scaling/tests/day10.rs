//! Day 10's tests, run against the solution: the starter's suite, unchanged.
use day10_scaling_solution as sut;

#[path = "../../../days/day10-scaling/tests/suite/mod.rs"]
mod suite;
