//! The `reliable-votes` Lambda function (`cargo lambda watch`, `just package`).
use day09_failures_and_retries as day;

mod lambda;

fn main() -> Result<(), lambda_runtime::Error> {
    lambda::main()
}
