//! The `event-logs` Lambda function (`cargo lambda watch`, `just package`).
fn main() -> Result<(), lambda_runtime::Error> {
    day04_event_logs::lambda::main()
}
