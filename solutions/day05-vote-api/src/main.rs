//! The `vote-api` Lambda function (`cargo lambda watch`, `just package`).
fn main() -> Result<(), lambda_http::Error> {
    day05_vote_api_solution::lambda::main()
}
