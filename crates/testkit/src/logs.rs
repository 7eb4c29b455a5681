//! What the code under test logged through `tracing`, for tests of what an
//! operator reads: a handler's summary of its batch is its report to the
//! people running it, and a wrong count there misleads them.
//!
//! One subscriber is installed for the whole test process, and it writes
//! each event into the buffer of the thread that logged it, if that thread
//! is capturing (a `#[tokio::test]` runs its tasks on the test's thread).
//! A subscriber per test (`tracing::subscriber::set_default`) is not enough:
//! `tracing` caches, per log statement, whether anyone listens, and a
//! statement that another test ran first, while nobody on its thread
//! listened, may stay silent for the capturing test too.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

type Buffer = Arc<Mutex<Vec<u8>>>;

thread_local! {
    static CAPTURING: RefCell<Option<Buffer>> = const { RefCell::new(None) };
}

/// Everything logged on this thread while it lives, as plain text without
/// times or colours.
pub struct Logs {
    buffer: Buffer,
}

/// Starts capturing the logs of this thread (at `INFO` and above).
pub fn capture() -> Logs {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // A subscriber set already (by the code under test) keeps its place:
        // the capture then stays empty, and the test says so.
        let _ = tracing_subscriber::fmt()
            .with_writer(|| ThreadWriter)
            .with_ansi(false)
            .without_time()
            .try_init();
    });
    let buffer = Buffer::default();
    CAPTURING.with(|capturing| *capturing.borrow_mut() = Some(buffer.clone()));
    Logs { buffer }
}

impl Logs {
    /// The logs so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        CAPTURING.with(|capturing| *capturing.borrow_mut() = None);
    }
}

/// Writes to the capturing buffer of the thread it is called on, if any.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|capturing| {
            if let Some(buffer) = &*capturing.borrow() {
                buffer.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
