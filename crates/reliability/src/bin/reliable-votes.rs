//! Day 09's `reliable-votes` Lambda function, built from the solution: the
//! process the crash check starts, kills mid-batch and starts again.
use day09_failures_and_retries_solution as day;

#[path = "../../../../days/day09-failures-and-retries/src/lambda.rs"]
mod lambda;

fn main() -> Result<(), lambda_runtime::Error> {
    lambda::main()
}
