//! Day 05's tests, run against the solution: the starter's suite, unchanged.
use day05_vote_api_solution as sut;

#[path = "../../../days/day05-vote-api/tests/suite/mod.rs"]
mod suite;
