//! A program run in a pseudo-terminal, read as a person reads its screen:
//! enough of `expect` for the watch mode's test, on the libc the workspace
//! already builds (Linux and macOS). Opening a terminal has no safe std
//! API: each `unsafe` block says why it is sound.
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Screen {
    child: Child,
    keyboard: File,
    output: Arc<Mutex<Vec<u8>>>,
    /// How much of `output` the expectations have consumed.
    read: usize,
    timeout: Duration,
}

impl Screen {
    /// Runs `command` with a new pseudo-terminal as its controlling terminal,
    /// its standard input, output and error.
    pub fn spawn(mut command: Command, timeout: Duration) -> Screen {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two new descriptors into the two integers;
        // the name, termios and window size arguments may be null.
        let opened = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned here alone.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("a descriptor"));
        command.stdin(io(&slave)).stdout(io(&slave)).stderr(io(&slave));
        // SAFETY: between fork and exec the child only calls setsid and ioctl,
        // which are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                // A session of its own, with the terminal (its stdin) as the
                // controlling terminal: as a shell starts a program.
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("spawning in the pty");
        drop(slave);
        let keyboard = File::from(master.try_clone().expect("a descriptor"));
        let mut screen = File::from(master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            // Reading ends with an error (EIO on Linux) once the program and
            // every process sharing its terminal have exited.
            while let Ok(n @ 1..) = screen.read(&mut buffer) {
                sink.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        Screen { child, keyboard, output, read: 0, timeout }
    }

    /// Waits until the screen shows `text`, after what earlier expectations
    /// matched.
    pub fn expect(&mut self, text: &str) {
        self.read_until(text.as_bytes(), text);
    }

    /// Waits for `prefix`, then returns the rest of its line.
    pub fn expect_line(&mut self, prefix: &str) -> String {
        self.expect(prefix);
        let start = self.read;
        let end = self.read_until(b"\r", "the end of the line") - 1;
        let output = self.output.lock().unwrap();
        String::from_utf8_lossy(&output[start..end]).into_owned()
    }

    /// Consumes the output up to the end of `needle`, waiting for it; returns
    /// where the match ends.
    fn read_until(&mut self, needle: &[u8], what: &str) -> usize {
        let deadline = Instant::now() + self.timeout;
        loop {
            {
                let output = self.output.lock().unwrap();
                let unread = &output[self.read..];
                if let Some(at) = unread.windows(needle.len()).position(|w| w == needle) {
                    self.read += at + needle.len();
                    return self.read;
                }
            }
            if Instant::now() > deadline {
                panic!("the screen never showed {what:?}; it shows:\n{}", self.unread());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn press(&mut self, key: char) {
        write!(self.keyboard, "{key}").expect("a key pressed");
        self.keyboard.flush().expect("the key sent");
    }

    /// Waits for the program to exit, and returns what it showed since the
    /// last expectation.
    pub fn finish(mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting") {
                break status;
            }
            assert!(Instant::now() < deadline, "the program did not exit");
            std::thread::sleep(Duration::from_millis(20));
        };
        // What it wrote last may still be on its way through the terminal.
        std::thread::sleep(Duration::from_millis(200));
        (status, self.unread())
    }

    /// The output not yet matched, as text.
    fn unread(&self) -> String {
        let output = self.output.lock().unwrap();
        String::from_utf8_lossy(&output[self.read..]).into_owned()
    }
}
