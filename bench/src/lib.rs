//! The benchmarks live in `benches/pitlane.rs`; run them with `just bench`.
