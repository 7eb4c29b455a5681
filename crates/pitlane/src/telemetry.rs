//! Logging set-up for the command-line tools and Lambda binaries.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Sends `tracing` events to standard error.
///
/// The level comes from `RUST_LOG` (for example `RUST_LOG=debug`), `info` by
/// default. The AWS SDK logs through `tracing` too, so `RUST_LOG=aws=debug`
/// shows every request it makes.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second call (tests, tools that call it twice) is harmless: ignore it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
