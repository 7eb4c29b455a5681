//! Day 08's tests: `just check 08`.
//!
//! The suite lives in `suites/day08-results-api/`, with its snapshots: the starter and
//! the solution both run that one file, so the tests exist once.
use day08_results_api_solution as sut;

#[path = "../../../suites/day08-results-api/mod.rs"]
mod suite;
