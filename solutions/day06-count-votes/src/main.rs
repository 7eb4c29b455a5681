//! The `count-votes` Lambda function, built from the solution.
use day06_count_votes_solution as day;

// The Lambda `main` is the starter's, compiled against this solution.
#[path = "../../../days/day06-count-votes/src/lambda.rs"]
mod lambda;

fn main() -> Result<(), lambda_runtime::Error> {
    lambda::main()
}
