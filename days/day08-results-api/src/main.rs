//! The `results-api` Lambda function (`cargo lambda watch`, `just package`).
use day08_results_api as day;

mod lambda;

fn main() -> Result<(), lambda_http::Error> {
    lambda::main()
}
