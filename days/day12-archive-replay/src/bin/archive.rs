//! The `archive-votes` Lambda function (`just package`).
fn main() -> Result<(), lambda_runtime::Error> {
    day12_archive_replay::lambda::archive_main()
}
