//! The `count-votes` Lambda function (`cargo lambda watch`, `just package`).
fn main() -> Result<(), lambda_runtime::Error> {
    day06_count_votes::lambda::main()
}
