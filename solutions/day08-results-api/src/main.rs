//! The `results-api` Lambda function, built from the solution.
use day08_results_api_solution as day;

// The Lambda `main` is the starter's, compiled against this solution.
#[path = "../../../days/day08-results-api/src/lambda.rs"]
mod lambda;

fn main() -> Result<(), lambda_http::Error> {
    lambda::main()
}
