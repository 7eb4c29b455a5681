//! The `keep-up-votes` Lambda function (`cargo lambda watch`, `just package`).
fn main() -> Result<(), lambda_runtime::Error> {
    day11_keep_up::lambda::main()
}
