//! The `record-votes` Lambda function, built from the solution.
use day07_one_vote_per_user_solution as day;

// The Lambda `main` is the starter's, compiled against this solution.
#[path = "../../../days/day07-one-vote-per-user/src/lambda.rs"]
mod lambda;

fn main() -> Result<(), lambda_runtime::Error> {
    lambda::main()
}
