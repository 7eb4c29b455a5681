//! The `event-logs` Lambda function (`cargo lambda watch`, `just package`).
use day04_event_logs as day;

mod lambda;

fn main() -> Result<(), lambda_runtime::Error> {
    lambda::main()
}
