//! The `vote-api` Lambda function (`cargo lambda watch`, `just package`).
use day05_vote_api as day;

mod lambda;

fn main() -> Result<(), lambda_http::Error> {
    lambda::main()
}
