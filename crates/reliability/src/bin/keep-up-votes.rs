//! Day 11's `keep-up-votes` Lambda function, built from the solution: the
//! crash check starts it under a local Runtime API and kills it in each of
//! its two steps.
fn main() -> Result<(), lambda_runtime::Error> {
    day11_keep_up_solution::lambda::main()
}
