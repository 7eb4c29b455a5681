//! The `results-api` Lambda function (`cargo lambda watch`, `just package`).
fn main() -> Result<(), lambda_http::Error> {
    day08_results_api_solution::lambda::main()
}
