//! What the code under test logged through `tracing`, for tests of what an
//! operator reads: a handler's summary of its batch is its report to the
//! people running it, and a wrong count there misleads them.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::util::SubscriberInitExt;

/// Everything logged on this thread while it lives (a `#[tokio::test]` runs
/// its tasks on the test's thread), as plain text without times or colours.
pub struct Logs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

/// Starts capturing the logs of this thread.
pub fn capture() -> Logs {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = buffer.clone();
    let guard = tracing_subscriber::fmt()
        .with_writer(move || SharedWriter(writer.clone()))
        .with_ansi(false)
        .without_time()
        .finish()
        .set_default();
    Logs { buffer, _guard: guard }
}

impl Logs {
    /// The logs so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
