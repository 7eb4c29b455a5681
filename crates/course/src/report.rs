//! What a student needs from a `cargo test` run, read out of its output: which
//! tests pass and fail, the first failure's message, or the compiler's first
//! error.
//!
//! A full cargo run is a screen of `Compiling` lines, warnings and panics;
//! a student needs the one thing to fix next. The full output stays
//! available (`--verbose`).

use crate::lang::Lang;
use crate::tr;

/// One test's verdict, from a `test suite::name ... ok` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// `"suite::name"`, as libtest prints it.
    pub name: String,
    pub passed: bool,
}

/// Every `test NAME ... ok|FAILED` line of libtest's output, in order.
pub fn test_results(stdout: &str) -> Vec<TestResult> {
    stdout
        .lines()
        .filter_map(|line| {
            let (name, verdict) = line.strip_prefix("test ")?.split_once(" ... ")?;
            let passed = match verdict.trim() {
                "ok" => true,
                "FAILED" => false,
                _ => return None, // "ignored" and the like are no verdict
            };
            Some(TestResult { name: name.trim().to_owned(), passed })
        })
        .collect()
}

/// Puts `tests` in the order their functions appear in the suite's
/// `source`, which follows the day's TODOs: the first failure is then the
/// first thing to do, not whichever test happened to finish first.
pub fn sort_by_source(tests: &mut [TestResult], source: &str) {
    let position = |test: &TestResult| {
        let function = test.name.rsplit("::").next().unwrap_or(&test.name);
        source.find(&format!("fn {function}(")).unwrap_or(usize::MAX)
    };
    tests.sort_by_key(|test| (position(test), test.name.clone()));
}

/// The failure message libtest printed for the test `name`: its
/// `---- name stdout ----` section, without libtest's backtrace note and
/// without insta's advice to accept the new snapshot (the snapshots are the
/// specification: the code changes, not them).
pub fn failure_message(stdout: &str, name: &str) -> Option<String> {
    let header = format!("---- {name} stdout ----");
    let start = stdout.find(&header)? + header.len();
    let rest = &stdout[start..];
    let end = ["\n---- ", "\nfailures:\n", "\nsuccesses:\n"]
        .iter()
        .filter_map(|marker| rest.find(marker))
        .min()
        .unwrap_or(rest.len());
    let message: Vec<&str> = rest[..end]
        .lines()
        .filter(|line| {
            !line.starts_with("note: run with `RUST_BACKTRACE=1`")
                && !line.contains("cargo insta")
                && !line.contains("cargo-insta")
        })
        .collect();
    let message = message.join("\n").trim_matches('\n').to_owned();
    Some(message)
}

/// Which of the failures' `messages` (in the suite's order) to show first:
/// the first that is not a snapshot mismatch, when there is one. A snapshot
/// diff shows numbers that differ (`2053.4` → `2082.6`); a test that fails
/// with its own message says what is wrong, and the snapshot usually differs
/// for the same reason. `None` when there is no failure.
pub fn most_telling(messages: &[&str]) -> Option<usize> {
    if messages.is_empty() {
        return None;
    }
    let is_snapshot = |message: &str| {
        message
            .lines()
            .any(|line| line.starts_with("Snapshot: ") || line.contains("snapshot assertion for"))
    };
    Some(messages.iter().position(|message| !is_snapshot(message)).unwrap_or(0))
}

/// The compiler's first error, from `error` to the blank line that ends it:
/// its message, `--> file:line:column` and the source it points at.
/// Warnings are skipped, and so is cargo's closing `could not compile`.
pub fn first_compiler_error(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let start = lines.iter().position(|line| {
        (line.starts_with("error[") || line.starts_with("error:"))
            && !line.starts_with("error: could not compile")
            && !line.starts_with("error: aborting")
    })?;
    let end = lines[start..]
        .iter()
        .position(|line| line.trim().is_empty())
        .map_or(lines.len(), |n| start + n);
    Some(lines[start..end].join("\n"))
}

/// The longest line a quote shows: a `Debug` of a megabyte of data is one
/// line of millions of characters, which would flood the terminal.
const MAX_COLUMNS: usize = 300;

/// `text` as a quote, set off from the runner's own words: each line
/// indented, at most `max_lines` lines of at most [`MAX_COLUMNS`]
/// characters. What is cut is counted; `just check NN --verbose` shows all.
pub fn quote(text: &str, max_lines: usize, lang: Lang) -> String {
    let text = tidy_paths(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut quoted: Vec<String> = lines
        .iter()
        .take(max_lines)
        .map(|line| match line.char_indices().nth(MAX_COLUMNS) {
            Some((cut, _)) => {
                let rest = line[cut..].chars().count();
                let line = &line[..cut];
                tr!(
                    lang,
                    "    {line}… ({rest} more characters)",
                    "    {line}… ({rest} caracteres más)"
                )
            }
            None => format!("    {line}"),
        })
        .collect();
    if lines.len() > max_lines {
        let more = lines.len() - max_lines;
        quoted.push(tr!(
            lang,
            "    … {more} more lines (`just check NN --verbose` shows them)",
            "    … {more} líneas más (`just check NN --verbose` las muestra)"
        ));
    }
    quoted.join("\n")
}

/// The suites are included into each day's crate by a relative `#[path]`, so
/// rustc names their files `days/day03-…/tests/../../../suites/day03-…/mod.rs`;
/// this writes `suites/day03-…/mod.rs`, relative to the checkout, as every
/// other location is.
pub fn tidy_paths(text: &str) -> String {
    const DETOUR: &str = "/tests/../../../suites/";
    let mut tidy = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(DETOUR) {
        // The detour's path starts after the last space, quote or bracket.
        let start = rest[..at]
            .rfind(|c: char| c.is_whitespace() || "'\"`([<".contains(c))
            .map_or(0, |i| i + 1);
        tidy.push_str(&rest[..start]);
        tidy.push_str("suites/");
        rest = &rest[at + DETOUR.len()..];
    }
    tidy.push_str(rest);
    tidy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_paths_are_written_from_the_checkout() {
        let text = "thread 'suite::x' panicked at days/day03-read-shard/tests/../../../suites/day03-read-shard/mod.rs:12:5:\n\
                    --> solutions/day11-keep-up/tests/../../../suites/day11-keep-up/mod.rs:9:1\n\
                    at days/day03-read-shard/src/lib.rs:3";
        assert_eq!(
            tidy_paths(text),
            "thread 'suite::x' panicked at suites/day03-read-shard/mod.rs:12:5:\n\
             --> suites/day11-keep-up/mod.rs:9:1\n\
             at days/day03-read-shard/src/lib.rs:3"
        );
    }

    const FAILING: &str = "\nrunning 3 tests\n\
        test suite::orders_numbers ... ok\n\
        test suite::reads_until_caught_up ... FAILED\n\
        test suite::decodes_bad_json ... FAILED\n\
        test suite::slow ... ignored\n\n\
        failures:\n\n\
        ---- suite::reads_until_caught_up stdout ----\n\n\
        thread 'suite::reads_until_caught_up' panicked at suites/day03/mod.rs:9:5:\n\
        stopped at the first empty page\n\
        note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\
        ---- suite::decodes_bad_json stdout ----\n\
        Snapshot: bad_json\n\
        To update snapshots run `cargo insta review`\n\
        Run `cargo insta test` to run all snapshots.\n\
        left != right\n\n\
        failures:\n    suite::reads_until_caught_up\n    suite::decodes_bad_json\n\n\
        test result: FAILED. 1 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out\n";

    #[test]
    fn a_quote_is_indented_and_cut_to_size() {
        assert_eq!(quote("a\nb", 5, Lang::En), "    a\n    b");
        let long = "x".repeat(MAX_COLUMNS + 7);
        assert_eq!(
            quote(&long, 5, Lang::En),
            format!("    {}… (7 more characters)", "x".repeat(MAX_COLUMNS))
        );
        let many = "1\n2\n3\n4";
        assert_eq!(
            quote(many, 2, Lang::En),
            "    1\n    2\n    … 2 more lines (`just check NN --verbose` shows them)"
        );
    }

    #[test]
    fn a_failure_with_its_own_message_is_shown_before_a_snapshot_diff() {
        let snapshot = "Snapshot: peak\n-old: 2053.4\n+new: 2082.6";
        let told = "the commitment is the larger of the two, not their sum";
        assert_eq!(most_telling(&[snapshot, told]), Some(1));
        assert_eq!(most_telling(&[told, snapshot]), Some(0));
        assert_eq!(most_telling(&[snapshot, snapshot]), Some(0), "only snapshots: the first");
        assert_eq!(most_telling(&[]), None);
    }

    #[test]
    fn reads_each_verdict_in_order() {
        let results = test_results(FAILING);
        let named: Vec<(&str, bool)> =
            results.iter().map(|r| (r.name.as_str(), r.passed)).collect();
        assert_eq!(
            named,
            [
                ("suite::orders_numbers", true),
                ("suite::reads_until_caught_up", false),
                ("suite::decodes_bad_json", false)
            ]
        );
    }

    #[test]
    fn tests_are_ordered_as_the_suite_writes_them() {
        let mut results = test_results(FAILING);
        let source =
            "#[test]\nfn decodes_bad_json() {}\n#[tokio::test]\nasync fn orders_numbers() {}\n";
        sort_by_source(&mut results, source);
        let names: Vec<&str> = results.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["suite::decodes_bad_json", "suite::orders_numbers", "suite::reads_until_caught_up"],
            "a test the source does not name comes last"
        );
    }

    #[test]
    fn a_failure_message_is_its_own_section_without_the_notes() {
        assert_eq!(
            failure_message(FAILING, "suite::reads_until_caught_up").unwrap(),
            "thread 'suite::reads_until_caught_up' panicked at suites/day03/mod.rs:9:5:\n\
             stopped at the first empty page"
        );
        assert_eq!(
            failure_message(FAILING, "suite::decodes_bad_json").unwrap(),
            "Snapshot: bad_json\nleft != right",
            "insta's advice to accept the snapshot is left out"
        );
        assert_eq!(failure_message(FAILING, "suite::orders_numbers"), None);
    }

    #[test]
    fn the_first_compiler_error_skips_warnings_and_cargos_summary() {
        let stderr = "   Compiling day03 v0.1.0\n\
            warning: unused variable: `x`\n  --> days/day03/src/lib.rs:3:9\n\n\
            error[E0308]: mismatched types\n  --> days/day03/src/lib.rs:58:9\n   |\n58 |     1\n   |     ^ expected `String`\n\n\
            error: aborting due to 1 previous error\n\n\
            error: could not compile `day03` (lib) due to 1 previous error\n";
        assert_eq!(
            first_compiler_error(stderr).unwrap(),
            "error[E0308]: mismatched types\n  --> days/day03/src/lib.rs:58:9\n   |\n58 |     1\n   |     ^ expected `String`"
        );
        assert_eq!(first_compiler_error("error: could not compile `x`\n"), None);
    }
}
