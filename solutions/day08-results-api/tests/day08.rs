//! Day 08's tests, run against the solution: the starter's suite, unchanged.
use day08_results_api_solution as sut;

#[path = "../../../days/day08-results-api/tests/suite/mod.rs"]
mod suite;
