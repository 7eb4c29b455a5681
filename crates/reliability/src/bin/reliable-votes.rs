//! Day 09's `reliable-votes` Lambda function, built from the solution: the
//! process the crash check starts, kills mid-batch and starts again.
fn main() -> Result<(), lambda_runtime::Error> {
    day09_failures_and_retries_solution::lambda::main()
}
