//! Day 07's tests, run against the solution: the starter's suite, unchanged.
use day07_one_vote_per_user_solution as sut;

#[path = "../../../days/day07-one-vote-per-user/tests/suite/mod.rs"]
mod suite;
