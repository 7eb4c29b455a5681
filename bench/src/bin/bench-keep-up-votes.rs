//! Day 11's vote consumer (concurrent puts in lanes, then one count per
//! driver per transaction), built with the benchmark's optimised profile for
//! the consumers' side-by-side run.
fn main() -> Result<(), lambda_runtime::Error> {
    day11_keep_up_solution::lambda::main()
}
