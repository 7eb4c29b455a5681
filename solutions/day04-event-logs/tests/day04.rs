//! Day 04's tests, run against the solution: the starter's suite, unchanged.
use day04_event_logs_solution as sut;

#[path = "../../../days/day04-event-logs/tests/suite/mod.rs"]
mod suite;
