//! The `count-votes` Lambda function (`cargo lambda watch`, `just package`).
use day06_count_votes as day;

mod lambda;

fn main() -> Result<(), lambda_runtime::Error> {
    lambda::main()
}
