//! The days of the workbook, found on disk, and running their suites.
//!
//! A day is a solution crate `solutions/dayNN-slug/` (package
//! `dayNN-slug-solution`, the source of truth), the starter generated from it
//! in `days/dayNN-slug/` (package `dayNN-slug`), its suite in
//! `suites/dayNN-slug/`, tiered hints in `hints/dayNN-slug.md` and a chapter
//! `book/src/dayNN-slug.md`. Adding a day needs no change here.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, io, run};
use crate::lang::Lang;
use crate::report::{self, TestResult};

/// How long one suite may run (compilation included) before it is stopped:
/// `PITLANE_SUITE_TIMEOUT` seconds, 15 minutes by default.
fn suite_timeout() -> Duration {
    let seconds =
        std::env::var("PITLANE_SUITE_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(900);
    Duration::from_secs(seconds)
}

/// How many of a suite's tests run at once when the suite runs alone
/// (`check`, `watch`, `progress`): `RUST_TEST_THREADS` when set, otherwise
/// 4, whatever the cores. A suite's tests mostly wait on the local backend (a
/// throttled shard's pause, a backoff, a stream's next second), not on the
/// CPU, and each has its own stream or table: on two cores, day 03's suite
/// took 8.6 s with libtest's default of one test per core and 3.5 s with six.
/// Not more than 4: Kinesis, and the local backend as it, refuses a fifth
/// stream being created at once (`LimitExceededException`), and most tests
/// start by creating one. (`verify` runs several suites side by side, each
/// with libtest's default.)
fn test_threads() -> Option<String> {
    Some(std::env::var("RUST_TEST_THREADS").unwrap_or_else(|_| "4".to_owned()))
}

#[derive(Clone)]
pub struct Workspace {
    pub root: PathBuf,
    /// Set (by `watch`, when the student quits) to stop the suite that runs
    /// now; shared by the clones of this workspace that run suites.
    stop: Arc<AtomicBool>,
}

impl Workspace {
    /// The checkout this runner runs in (`PITLANE_ROOT`, which the justfile
    /// sets, or the folder around the current directory): never the one it
    /// was compiled in, which may have been copied or moved since.
    pub fn find() -> Result<Self> {
        let root = pitlane_layout::workspace_root()?;
        let root = root.canonicalize().map_err(io("finding the workspace", &root))?;
        Ok(Self::at(root))
    }

    /// The workspace at `root`, as found (tests make their own).
    pub fn at(root: PathBuf) -> Self {
        Self { root, stop: Arc::default() }
    }

    /// Stops the suite that runs now (its cargo is killed within 50 ms), and
    /// any started before [`allow_runs`](Self::allow_runs).
    pub fn stop_runs(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Lets suites run again after [`stop_runs`](Self::stop_runs).
    pub fn allow_runs(&self) {
        self.stop.store(false, Ordering::Relaxed);
    }

    /// Every day, in order: one per solution crate.
    pub fn days(&self) -> Result<Vec<Day>> {
        let folder = self.root.join("solutions");
        let entries = std::fs::read_dir(&folder).map_err(io("reading", &folder))?;
        let mut days: Vec<Day> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| Day::from_folder(&self.root, &entry.file_name().to_string_lossy()))
            .collect();
        days.sort_by(|a, b| a.number.cmp(&b.number));
        Ok(days)
    }

    /// `path` relative to the workspace root, for messages.
    pub fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }

    /// Runs the test suite of `package` and counts the results.
    ///
    /// Snapshots are never written (`INSTA_UPDATE=no`): they are the
    /// specification, and a changed one is a failure. Backtraces are off
    /// unless `PITLANE_BACKTRACE=1`, so that a failure reads as its message.
    pub fn run_suite(&self, package: &str, output: Output) -> Result<TestRun> {
        self.run(&self.root, package, &[], output, test_threads())
    }

    /// [`run_suite`](Self::run_suite) for only the tests whose names contain
    /// one of `filters` (all of them when there is none).
    pub fn run_tests(&self, package: &str, filters: &[&str], output: Output) -> Result<TestRun> {
        self.run(&self.root, package, filters, output, test_threads())
    }

    /// [`run_suite`](Self::run_suite) for a package of the cargo workspace in
    /// `folder` (the checkout, or a scratch workspace of pristine starters),
    /// built into the checkout's `target/`.
    pub fn run_suite_in(&self, folder: &Path, package: &str, output: Output) -> Result<TestRun> {
        self.run(folder, package, &[], output, None)
    }

    fn run(
        &self,
        folder: &Path,
        package: &str,
        filters: &[&str],
        output: Output,
        threads: Option<String>,
    ) -> Result<TestRun> {
        let backtrace = std::env::var("PITLANE_BACKTRACE").unwrap_or_else(|_| "0".to_owned());
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join("target"));
        let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            // Not `--quiet`: cargo would pass it on to libtest, whose terse
            // output has no test names.
            .args(["test", "--no-fail-fast", "-p", package, "--"])
            .args(threads.iter().flat_map(|threads| ["--test-threads", threads.as_str()]))
            .args(filters)
            .current_dir(folder)
            .env("CARGO_TARGET_DIR", target)
            .env(pitlane_layout::ROOT_ENV, &self.root)
            .env("INSTA_UPDATE", "no")
            // Not UTC, and not a whole hour from it: code that reads the
            // local clock where AWS means UTC (an archive's hour, a vote's
            // time) fails here as it would on a laptop in Bolivia or India,
            // not only in the cloud. Lambda runs in UTC; a laptop rarely does.
            .env("TZ", "Asia/Kolkata")
            .env("CI", "true")
            .env("RUST_BACKTRACE", backtrace)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(run("cargo"))?;

        // Both streams are read to the end on threads of their own (so that
        // neither pipe fills up and blocks cargo), shown as they come if
        // asked, while this thread watches the clock: a suite that hangs
        // (say, a handler retried forever) is stopped, not waited for.
        let show = matches!(output, Output::Show);
        let stderr = child.stderr.take().expect("stderr is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr_reader = std::thread::spawn(move || collect(stderr, show, true));
        let stdout_reader = std::thread::spawn(move || collect(stdout, show, false));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().map_err(run("cargo"))? {
                break Some(status);
            }
            if started.elapsed() > suite_timeout() || self.stop.load(Ordering::Relaxed) {
                // The test binary is cargo's child: stop it first, or it
                // would go on (hanging, or holding the backend) without cargo.
                let _ = Command::new("pkill")
                    .args(["-KILL", "-P", &child.id().to_string()])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = stdout_reader.join().unwrap_or_default();
        let mut stderr = stderr_reader.join().unwrap_or_default();
        // Stopped: by the student (`q` in watch), which needs no word, or by
        // the clock, which the student must hear about.
        if status.is_none() && !self.stop.load(Ordering::Relaxed) {
            let message = format!("{package}: stopped after {:?}: a test hangs", suite_timeout());
            eprintln!("pitlane: {message}");
            stderr.push_str(&message);
        }

        let mut run = TestRun {
            compiled: !stderr.contains("could not compile"),
            tests: report::test_results(&stdout),
            ..TestRun::default()
        };
        for line in stdout.lines() {
            if let Some((passed, failed)) = parse_result_line(line) {
                run.passed += passed;
                run.failed += failed;
            }
        }
        run.exit_ok = status.is_some_and(|status| status.success());
        run.output = format!("{stdout}{stderr}");
        run.stdout = stdout;
        run.stderr = stderr;
        Ok(run)
    }
}

/// Whether a suite's output goes to the terminal as it runs.
#[derive(Clone, Copy)]
pub enum Output {
    Show,
    Hide,
}

fn collect(stream: impl std::io::Read, show: bool, to_stderr: bool) -> String {
    let mut all = String::new();
    for line in BufReader::new(stream).lines().map_while(Result::ok) {
        if show {
            if to_stderr {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
        all.push_str(&line);
        all.push('\n');
    }
    all
}

/// `test result: FAILED. 3 passed; 6 failed; ...` → (3, 6).
fn parse_result_line(line: &str) -> Option<(u32, u32)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let count = |word: &str| {
        rest.split(';').find_map(|part| {
            part.trim().strip_suffix(word)?.trim().rsplit(' ').next()?.parse().ok()
        })
    };
    Some((count("passed")?, count("failed")?))
}

/// The outcome of one `cargo test`.
#[derive(Debug, Default)]
pub struct TestRun {
    pub compiled: bool,
    pub exit_ok: bool,
    pub passed: u32,
    pub failed: u32,
    /// Every test's verdict, in the order they finished.
    pub tests: Vec<TestResult>,
    pub stdout: String,
    pub stderr: String,
    /// `stdout` then `stderr`: all cargo said.
    pub output: String,
}

impl TestRun {
    pub fn total(&self) -> u32 {
        self.passed + self.failed
    }

    /// The failing test to show first, and its message: the first in the
    /// suite's order whose message says something (see
    /// [`report::most_telling`]), else the first.
    pub fn first_failure(&self) -> Option<(&str, String)> {
        let failing: Vec<(&str, String)> = self
            .tests
            .iter()
            .filter(|test| !test.passed)
            .map(|test| {
                let message = report::failure_message(&self.stdout, &test.name).unwrap_or_default();
                (test.name.as_str(), message)
            })
            .collect();
        let messages: Vec<&str> = failing.iter().map(|(_, message)| message.as_str()).collect();
        let shown = report::most_telling(&messages)?;
        failing.into_iter().nth(shown)
    }

    /// The compiler's first error, when the code does not compile.
    pub fn compiler_error(&self) -> Option<String> {
        if self.compiled { None } else { report::first_compiler_error(&self.stderr) }
    }

    /// Orders the tests as day's suite writes them (see
    /// [`report::sort_by_source`]).
    pub fn sort_as_in(mut self, day: &Day) -> Self {
        let source = std::fs::read_to_string(day.suite_dir().join("mod.rs")).unwrap_or_default();
        report::sort_by_source(&mut self.tests, &source);
        self
    }

    /// Compiled, ran at least one test, and every test passed.
    pub fn solved(&self) -> bool {
        self.compiled && self.exit_ok && self.failed == 0 && self.passed > 0
    }
}

pub struct Day {
    /// `"01"`.
    pub number: String,
    /// `"day01-create-stream"`.
    pub slug: String,
    pub starter_dir: PathBuf,
    pub solution_dir: PathBuf,
    root: PathBuf,
}

impl Day {
    fn from_folder(root: &Path, name: &str) -> Option<Day> {
        let number = name.strip_prefix("day")?.get(..2)?;
        if !number.bytes().all(|b| b.is_ascii_digit())
            || !root.join("solutions").join(name).join("Cargo.toml").is_file()
        {
            return None;
        }
        Some(Day {
            number: number.to_owned(),
            slug: name.to_owned(),
            starter_dir: root.join("days").join(name),
            solution_dir: root.join("solutions").join(name),
            root: root.to_owned(),
        })
    }

    /// A day of the workbook at `root`, for tests.
    #[doc(hidden)]
    pub fn for_tests(root: &str, slug: &str) -> Day {
        let root = PathBuf::from(root);
        Day {
            number: slug[3..5].to_owned(),
            slug: slug.to_owned(),
            starter_dir: root.join("days").join(slug),
            solution_dir: root.join("solutions").join(slug),
            root,
        }
    }

    /// The day named `wanted` ("1", "01" or "day01").
    pub fn select<'a>(days: &'a [Day], wanted: &str) -> Result<&'a Day> {
        let digits = wanted.trim_start_matches("day");
        let number: u32 =
            digits.parse().map_err(|_| Error::NotADayNumber { wanted: wanted.to_owned() })?;
        days.iter().find(|day| day.number.parse() == Ok(number)).ok_or(Error::NoSuchDay { number })
    }

    /// "create stream" for `day01-create-stream`.
    pub fn title(&self) -> String {
        self.slug.split_once('-').map(|(_, rest)| rest).unwrap_or_default().replace('-', " ")
    }

    /// The day's title as its chapter gives it (`# Day 01 — create a stream`
    /// → "create a stream"), in `lang`: the Spanish from the book's catalogue
    /// (`book/po/es.po`, see `book/AUTHORING.md`). Where neither says, the
    /// folder's name ([`title`](Self::title)).
    pub fn title_in(&self, lang: Lang) -> String {
        let heading = std::fs::read_to_string(self.chapter())
            .ok()
            .and_then(|text| Some(text.lines().next()?.strip_prefix("# ")?.trim().to_owned()));
        let Some(heading) = heading else { return self.title() };
        let translated = match lang {
            Lang::En => Some(heading.clone()),
            Lang::Es => crate::translations::spanish(&self.root, &heading),
        };
        translated
            .as_deref()
            .and_then(|title| title.split_once(" — ").map(|(_, title)| title.replace('`', "")))
            .unwrap_or_else(|| self.title())
    }

    pub fn starter_package(&self) -> String {
        self.slug.clone()
    }

    pub fn solution_package(&self) -> String {
        format!("{}-solution", self.slug)
    }

    /// `suites/dayNN-slug/`: the one suite both crates run, with its snapshots.
    pub fn suite_dir(&self) -> PathBuf {
        self.root.join("suites").join(&self.slug)
    }

    pub fn chapter(&self) -> PathBuf {
        self.root.join("book/src").join(format!("{}.md", self.slug))
    }

    /// The chapter's page in the book as `just book` builds it for offline
    /// reading (the same page name as in the published book).
    pub fn chapter_page(&self) -> PathBuf {
        self.root.join("book/build").join(format!("{}.html", self.slug))
    }

    /// [`chapter_page`](Self::chapter_page) in `lang`'s edition (the Spanish
    /// one is `book/build/es/`).
    pub fn chapter_page_in(&self, lang: Lang) -> PathBuf {
        match lang {
            Lang::En => self.chapter_page(),
            Lang::Es => self.root.join("book/build/es").join(format!("{}.html", self.slug)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargo_result_lines() {
        assert_eq!(
            parse_result_line(
                "test result: FAILED. 3 passed; 6 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.03s"
            ),
            Some((3, 6))
        );
        assert_eq!(
            parse_result_line("test result: ok. 12 passed; 0 failed; 1 ignored"),
            Some((12, 0))
        );
        assert_eq!(parse_result_line("running 9 tests"), None);
    }

    #[test]
    fn titles_and_packages_come_from_the_folder_name() {
        let day = Day::from_folder(Path::new("/nowhere"), "day01-create-stream");
        assert!(day.is_none(), "a folder without a solution crate is not a day");
        let day = Day::for_tests("/w", "day02-put-records");
        assert_eq!(day.title(), "put records");
        assert_eq!(day.solution_package(), "day02-put-records-solution");
        assert_eq!(day.chapter(), PathBuf::from("/w/book/src/day02-put-records.md"));
        assert_eq!(day.chapter_page(), PathBuf::from("/w/book/build/day02-put-records.html"));
    }
}
