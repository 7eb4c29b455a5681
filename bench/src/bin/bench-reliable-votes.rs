//! Day 09's vote consumer (one transaction per vote, in order), built with
//! the benchmark's optimised profile for the consumers' side-by-side run.
fn main() -> Result<(), lambda_runtime::Error> {
    day09_failures_and_retries_solution::lambda::main()
}
