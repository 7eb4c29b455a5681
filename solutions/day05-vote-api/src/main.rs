//! The `vote-api` Lambda function, built from the solution.
use day05_vote_api_solution as day;

// The Lambda `main` is the starter's, compiled against this solution.
#[path = "../../../days/day05-vote-api/src/lambda.rs"]
mod lambda;

fn main() -> Result<(), lambda_http::Error> {
    lambda::main()
}
