//! `pitlane`: the student's runner, called by the `just` recipes (`just
//! check`, `watch`, `progress`, `hint`, `reset`, `list`).
//!
//! Progress is never stored as such: it is whatever the tests say about the
//! code you have now, so it survives updates, resets and switching machines.
//! Verdicts are remembered only as a cache keyed by a fingerprint of the files
//! they depend on (`pitlane_course::cache`), so that an unchanged day is not
//! re-run.
//!
//! The course's model lives in `crates/course`; the authors' commands (`gen`,
//! `verify`, `check-book`, `packages`) in `crates/xtask`. This binary, the
//! model and their few small dependencies stay outside the workspace-hack, so
//! that `just hint 01` on a fresh clone waits seconds, not for the AWS SDK.

mod watch;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use pitlane_course::{Day, TestRun, Workspace, cache, generate, hints, report};

/// The workbook's runner: your days' tests, progress, hints and resets.
#[derive(Parser)]
#[command(name = "pitlane", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The days, in order.
    List,
    /// Run day DAY's tests against your code (or the solution); exit status 1
    /// while the day is not finished.
    Check {
        /// The day: 1, 01 or day01.
        day: String,
        /// Only the tests whose names contain one of these.
        filters: Vec<String>,
        /// Test the reference solution instead of your code.
        #[arg(long)]
        solution: bool,
        /// Show everything cargo says.
        #[arg(long)]
        verbose: bool,
    },
    /// Re-run a day's tests on every save, on one screen (day DAY, or the
    /// first unsolved one).
    Watch { day: Option<String> },
    /// Every day's state, from its tests (unchanged days from their remembered
    /// verdicts).
    Progress {
        /// Only from remembered verdicts; exit status 3 when a suite must run.
        #[arg(long)]
        cached: bool,
    },
    /// Day DAY's next hint level, or LEVEL again.
    Hint { day: String, level: Option<usize> },
    /// Restore day DAY's starter files (yours are saved in .pitlane/saved/ first).
    Reset { day: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result =
        Workspace::find().map_err(anyhow::Error::from).and_then(|workspace| match cli.command {
            Command::List => list(&workspace),
            Command::Check { day, filters, solution, verbose } => {
                check(&workspace, &day, solution, verbose, &filters)
            }
            Command::Watch { day } => watch::run(&workspace, day.as_deref()),
            Command::Progress { cached } => progress(&workspace, cached),
            Command::Hint { day, level } => hint(&workspace, &day, level),
            Command::Reset { day } => reset(&workspace, &day),
        });
    // The command itself went wrong (a bad day number, a folder that cannot
    // be read): exit status 2, apart from 1, "not finished yet".
    result.unwrap_or_else(|error| {
        eprintln!("pitlane: {error:#}");
        ExitCode::from(2)
    })
}

/// Where to read the day's chapter: its page in the book built for offline
/// reading, and how to build it when it is not there yet.
fn chapter_pointer(workspace: &Workspace, day: &Day) -> String {
    let page = day.chapter_page();
    let how =
        if page.is_file() { "`just book-serve` serves it live" } else { "`just book` builds it" };
    format!("{} ({how}; the published book has the same page)", workspace.relative(&page))
}

fn list(workspace: &Workspace) -> Result<ExitCode> {
    for day in workspace.days()? {
        println!("{}  {}", day.number, day.title());
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit status 0: the day passes; 1: not finished yet (a test fails, or the
/// code does not compile); 2 (from `main`): the command itself went wrong.
fn check(
    workspace: &Workspace,
    day: &str,
    solution: bool,
    verbose: bool,
    filters: &[String],
) -> Result<ExitCode> {
    let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
    let filters = filters.as_slice();
    let days = workspace.days()?;
    let day = Day::select(&days, day)?;
    let package = if solution { day.solution_package() } else { day.starter_package() };
    println!(
        "── day {} · {} · {package} · in {} ──",
        day.number,
        day.title(),
        workspace.root.display()
    );
    let output = if verbose { pitlane_course::Output::Show } else { pitlane_course::Output::Hide };
    let fingerprint = cache::fingerprint(workspace, day, &days);
    let run = workspace.run_tests(&package, filters, output)?.sort_as_in(day);
    if !solution && filters.is_empty() {
        // A whole run of the student's suite is a verdict `progress` can reuse.
        cache::Cache::load(workspace).put(day, &fingerprint, cache::Verdict::of(&run));
    }
    if !verbose {
        for test in &run.tests {
            println!("  {} {}", if test.passed { "✅" } else { "❌" }, test.name);
        }
    }
    println!();
    let matching = if filters.is_empty() {
        String::new()
    } else {
        format!(" matching `{}`", filters.join("` or `"))
    };
    if run.compiled && run.total() == 0 && !filters.is_empty() {
        println!(
            "No test of day {}{matching}: `just check {}` runs them all, and their names are \
             in {}.",
            day.number,
            day.number,
            workspace.relative(&day.suite_dir().join("mod.rs"))
        );
        return Ok(ExitCode::FAILURE);
    }
    if run.solved() && !filters.is_empty() {
        println!(
            "✅ the {} test(s) of day {}{matching} pass; `just check {}` runs them all.",
            run.passed, day.number, day.number
        );
        Ok(ExitCode::SUCCESS)
    } else if run.solved() {
        println!("✅ day {} passes: {} tests.", day.number, run.passed);
        if let Some(next) = days.iter().find(|d| d.number > day.number) {
            println!(
                "   Next: day {} — {} (`just check {}`).",
                next.number,
                next.title(),
                next.number
            );
        }
        Ok(ExitCode::SUCCESS)
    } else {
        explain_failure(workspace, day, &package, &run, verbose);
        Ok(ExitCode::FAILURE)
    }
}

fn explain_failure(workspace: &Workspace, day: &Day, package: &str, run: &TestRun, verbose: bool) {
    if let Some(error) = run.compiler_error() {
        println!("❌ day {}: the code does not compile. The compiler's first error:\n", day.number);
        println!("{}\n", indent(&error));
        if let Some(other) = day_of_error(&error).filter(|other| *other != day.number) {
            println!(
                "   That error is in your day {other}, which day {} builds on: `just check {other}` first.",
                day.number
            );
        }
    } else if !run.compiled {
        // Cargo stopped before the compiler said why (a broken Cargo.toml,
        // say): its own last words are the message.
        println!("❌ day {}: cargo could not build the tests:\n", day.number);
        let tail: Vec<&str> = run.stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        println!("{}\n", indent(&tail.join("\n")));
    } else if let Some((name, message)) = run.first_failure() {
        println!(
            "❌ day {}: {} of {} tests fail. The first failure, the test {name}:\n",
            day.number,
            run.failed,
            run.total()
        );
        println!("{}\n", indent(&message));
    } else {
        println!("❌ day {}: {} of {} tests fail.", day.number, run.failed, run.total());
    }
    for earlier in unfinished_earlier_days(&run.output, &day.number) {
        let needed: Vec<String> = earlier
            .todos
            .iter()
            .map(|(what, at)| match at {
                Some(at) => format!("«{what}» ({at})"),
                None => format!("«{what}»"),
            })
            .collect();
        println!(
            "   Day {} builds on your day {}, which is not finished yet: it stopped at the `todo!` of {}. \
             Write that (its TODO says what), then `just check {}` checks it.",
            day.number,
            earlier.day,
            needed.join(", "),
            earlier.day
        );
    }
    println!("   {}", hints::summary(workspace, day));
    println!("   Chapter: {}", chapter_pointer(workspace, day));
    let code = if package.ends_with("-solution") { &day.solution_dir } else { &day.starter_dir };
    println!("   Code:    {}", workspace.relative(&code.join("src/lib.rs")));
    if !verbose {
        println!("   Everything cargo said: `just check {} --verbose`.", day.number);
    }
}

/// The day whose starter a compiler error points at (`--> days/day02-…`).
fn day_of_error(error: &str) -> Option<String> {
    let at = error.find("--> days/day")? + "--> days/day".len();
    let number = error.get(at..at + 2)?;
    number.bytes().all(|b| b.is_ascii_digit()).then(|| number.to_owned())
}

/// The longest quote of a failure or a compiler error `check` prints.
const QUOTED_LINES: usize = 40;

fn indent(text: &str) -> String {
    report::quote(text, QUOTED_LINES)
}

/// An earlier day a failing test ran into, and the `todo!`s it met there:
/// what each says, and where it is (`days/…/lib.rs:158`) when the panic says.
#[derive(Debug, PartialEq, Eq)]
struct Unfinished {
    day: String,
    todos: Vec<(String, Option<String>)>,
}

/// The earlier days whose `todo!("day NN: ...")` a failing test ran into: a
/// later day calls what the student wrote on an earlier one. Each `todo!`
/// once, with the file and line of the panic before it.
fn unfinished_earlier_days(output: &str, day: &str) -> Vec<Unfinished> {
    const MARKER: &str = "not yet implemented: day ";
    let mut found: std::collections::BTreeMap<String, Vec<(String, Option<String>)>> =
        std::collections::BTreeMap::new();
    let lines: Vec<&str> = output.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.find(MARKER).map(|at| &line[at + MARKER.len()..]) else { continue };
        let Some((number, what)) = rest.split_once(": ") else { continue };
        if number.len() != 2 || !number.bytes().all(|b| b.is_ascii_digit()) || number >= day {
            continue;
        }
        // `thread '…' panicked at days/day09-…/src/lib.rs:158:5:` just above.
        let at = i
            .checked_sub(1)
            .and_then(|before| lines[before].split_once("panicked at "))
            .map(|(_, place)| place.trim_end_matches(':'))
            .and_then(|place| place.rsplit_once(':').map(|(file_line, _column)| file_line))
            .map(|file_line| file_line.trim_start_matches("../").to_owned());
        let todos = found.entry(number.to_owned()).or_default();
        if !todos.iter().any(|(known, _)| known == what) {
            todos.push((what.trim().to_owned(), at));
        }
    }
    found.into_iter().map(|(day, todos)| Unfinished { day, todos }).collect()
}

/// Exit status 3 of `progress --cached`: a verdict is not in the cache, so the
/// suites must run (the justfile then starts the local backend and asks again).
const NEEDS_SUITES: u8 = 3;

fn progress(workspace: &Workspace, cached_only: bool) -> Result<ExitCode> {
    let days = workspace.days()?;
    // A day whose own starter files are as generated is not started: its
    // `todo!`s are all there (`just verify` proves its suite fails on them),
    // so it needs no run. Every other day answers from the verdict cache, or
    // runs: after an edit, only the days edited or built on it run again.
    let touched = generate::days_edited(workspace, &days)?;
    let mut cache = cache::Cache::load(workspace);
    // Every verdict first, then the table: a cache miss in `--cached` mode
    // prints nothing, so the full run that follows does not repeat lines.
    let mut verdicts = Vec::new();
    for day in &days {
        if !touched.contains(&day.slug) {
            verdicts.push(None);
            continue;
        }
        match cache.verdict(workspace, day, &days, !cached_only)? {
            Some(verdict) => verdicts.push(Some(verdict)),
            None => return Ok(ExitCode::from(NEEDS_SUITES)),
        }
    }
    let first_unsolved = verdicts.iter().position(|verdict| !verdict.is_some_and(|v| v.solved()));
    for (at, (day, verdict)) in days.iter().zip(&verdicts).enumerate() {
        let state = match verdict {
            Some(verdict) if verdict.solved() => format!("{} tests pass", verdict.total()),
            Some(verdict) if verdict.compiled => {
                format!("{} of {} tests fail", verdict.failed, verdict.total())
            }
            Some(_) => "does not compile".to_owned(),
            None => "not started".to_owned(),
        };
        let mark = match verdict {
            Some(verdict) if verdict.solved() => "✅",
            Some(_) => "❌",
            None => "· ",
        };
        let here = if Some(at) == first_unsolved { "  ← next" } else { "" };
        println!("{mark} day {}  {:<34} {state}{here}", day.number, day.title());
    }
    let Some(at) = first_unsolved else {
        println!("\n🏁 Every day passes. Well driven!");
        return Ok(ExitCode::SUCCESS);
    };
    let day = &days[at];
    println!();
    match verdicts[at] {
        Some(verdict) if !verdict.compiled => {
            println!(
                "Day {} does not compile yet; `just check {}` shows why.",
                day.number, day.number
            );
        }
        Some(_) => println!("`just check {}` shows what fails.", day.number),
        None => println!("Day {} is next: `just check {}` runs its tests.", day.number, day.number),
    }
    println!("Chapter: {}", chapter_pointer(workspace, day));
    println!("{}", hints::summary(workspace, day));
    Ok(ExitCode::FAILURE)
}

fn hint(workspace: &Workspace, day: &str, level: Option<usize>) -> Result<ExitCode> {
    let days = workspace.days()?;
    let day = Day::select(&days, day)?;
    print!("{}", hints::show(workspace, day, level)?);
    Ok(ExitCode::SUCCESS)
}

fn reset(workspace: &Workspace, wanted: &str) -> Result<ExitCode> {
    let days = workspace.days()?;
    let day = Day::select(&days, wanted)?;
    print!("{}", pitlane_course::reset(workspace, day, &days)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_compiler_error_names_the_day_it_is_in() {
        let error = "error[E0308]: mismatched types\n  --> days/day02-put-records/src/lib.rs:9:5";
        assert_eq!(super::day_of_error(error).as_deref(), Some("02"));
        assert_eq!(super::day_of_error("error: x\n  --> crates/pitlane/src/lib.rs:1:1"), None);
    }

    #[test]
    fn a_todo_of_an_earlier_day_is_named_with_its_place() {
        let output = "thread 'suite::retries' panicked at days/day02-put-records/src/lib.rs:9:5:\n\
                      not yet implemented: day 02: compute the backoff delay\n\
                      not yet implemented: day 04: the handler\n\
                      thread 'suite::b' panicked at days/day02-put-records/src/lib.rs:9:5:\n\
                      not yet implemented: day 02: compute the backoff delay\n\
                      not yet implemented: day 03: read a shard\n";
        let found = super::unfinished_earlier_days(output, "04");
        assert_eq!(
            found,
            [
                super::Unfinished {
                    day: "02".into(),
                    todos: vec![(
                        "compute the backoff delay".into(),
                        Some("days/day02-put-records/src/lib.rs:9".into())
                    )],
                },
                super::Unfinished { day: "03".into(), todos: vec![("read a shard".into(), None)] },
            ]
        );
        assert!(super::unfinished_earlier_days(output, "02").is_empty());
    }
}
