//! The `record-votes` Lambda function (`cargo lambda watch`, `just package`).
use day07_one_vote_per_user as day;

mod lambda;

fn main() -> Result<(), lambda_runtime::Error> {
    lambda::main()
}
