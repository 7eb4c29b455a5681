//! The reliability suite lives in `tests/reliability.rs`; run it with
//! `just reliability` (it is part of `just test`).
