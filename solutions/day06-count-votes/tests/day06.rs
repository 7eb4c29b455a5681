//! Day 06's tests, run against the solution: the starter's suite, unchanged.
use day06_count_votes_solution as sut;

#[path = "../../../days/day06-count-votes/tests/suite/mod.rs"]
mod suite;
