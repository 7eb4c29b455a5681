//! The `record-votes` Lambda function (`cargo lambda watch`, `just package`).
fn main() -> Result<(), lambda_runtime::Error> {
    day07_one_vote_per_user::lambda::main()
}
