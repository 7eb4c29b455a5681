//! The `reliable-votes` Lambda function (`cargo lambda watch`, `just package`).
fn main() -> Result<(), lambda_runtime::Error> {
    day09_failures_and_retries::lambda::main()
}
