// A build script, so that cargo applies this crate's [build-dependencies]
// (features of the crates other crates' build scripts and macros use).
fn main() {}
