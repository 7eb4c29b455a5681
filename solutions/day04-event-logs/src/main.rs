//! The `event-logs` Lambda function, built from the solution.
use day04_event_logs_solution as day;

// The Lambda `main` is the starter's, compiled against this solution.
#[path = "../../../days/day04-event-logs/src/lambda.rs"]
mod lambda;

fn main() -> Result<(), lambda_runtime::Error> {
    lambda::main()
}
