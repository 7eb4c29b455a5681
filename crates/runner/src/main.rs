//! `pitlane`: the workbook's runner, called by the `just` recipes.
//!
//! ```text
//! pitlane list                 the days, in order
//! pitlane check NN [--solution] [FILTER...]
//!                              run day NN's tests (your code, or the solution), or only
//!                              those whose names contain a FILTER
//! pitlane progress             check every day in order; stop at the first unsolved one
//! pitlane hint NN              print day NN's hint
//! pitlane reset NN             restore day NN's starter files (yours are saved first)
//! pitlane gen [NN]             write the starters (all, or day NN's) from their solutions
//! pitlane verify               prove every starter is generated, fails its suite, and every
//!                              solution passes it
//! pitlane check-book           every include of the book points at a file and anchor that exist
//! pitlane packages             the packages `just test` builds and lints (not your own days)
//! ```
//!
//! Progress is never stored: it is whatever the tests say about the code you
//! have now, so it survives updates, resets and switching machines.
//!
//! It uses only the standard library, `md5` and `pitlane-layout` (and not the
//! workspace-hack), so it builds in a second, even on a fresh clone.

mod book;
mod days;
mod generate;
mod packages;
mod pristine;
mod reset;
mod saved;
mod verify;

use std::process::ExitCode;

use days::{Day, TestRun, Workspace};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let workspace = match Workspace::find() {
        Ok(workspace) => workspace,
        Err(message) => return fail(&message),
    };
    let result = match words.as_slice() {
        ["list"] => list(&workspace),
        ["check", day, "--solution", filter @ ..] => check(&workspace, day, true, filter),
        ["check", day, filter @ ..] => check(&workspace, day, false, filter),
        ["progress"] => progress(&workspace),
        ["hint", day] => hint(&workspace, day),
        ["reset", day] => reset::run(&workspace, day),
        ["gen"] => generate_starters(&workspace, None),
        ["gen", day] => generate_starters(&workspace, Some(day)),
        ["verify"] => verify::run(&workspace),
        ["check-book"] => book::run(&workspace),
        ["packages"] => packages::run(&workspace),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(code) => code,
        Err(message) => fail(&message),
    }
}

const USAGE: &str = "usage: pitlane list | check NN [--solution] [FILTER] | progress | hint NN | reset NN \
                     | gen [NN] | verify | check-book";

/// The command itself went wrong (a bad day number, a folder that cannot be
/// read): exit status 2, apart from 1, "not finished yet".
fn fail(message: &str) -> ExitCode {
    eprintln!("pitlane: {message}");
    ExitCode::from(2)
}

fn list(workspace: &Workspace) -> Result<ExitCode, String> {
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
    filters: &[&str],
) -> Result<ExitCode, String> {
    let days = workspace.days()?;
    let day = Day::select(&days, day)?;
    let package = if solution { day.solution_package() } else { day.starter_package() };
    println!(
        "── day {} · {} · {package} · in {} ──",
        day.number,
        day.title(),
        workspace.root.display()
    );
    let run = workspace.run_tests(&package, filters, days::Output::Show)?;
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
        explain_failure(workspace, day, &run);
        Ok(ExitCode::FAILURE)
    }
}

fn explain_failure(workspace: &Workspace, day: &Day, run: &TestRun) {
    if run.compiled {
        println!("❌ day {}: {} of {} tests fail.", day.number, run.failed, run.total());
    } else {
        println!(
            "❌ day {}: the code does not compile (the compiler's messages are above).",
            day.number
        );
    }
    for earlier in unfinished_earlier_days(&run.output, &day.number) {
        println!(
            "   Day {} builds on your day {earlier}, which is not finished yet: `just check {earlier}` first.",
            day.number
        );
    }
    if run.compiled {
        println!("   Read the first failure above: its message says what is expected.");
    }
    println!("   Hint:    just hint {}", day.number);
    println!("   Chapter: {}", workspace.relative(&day.chapter()));
    println!("   Code:    {}", workspace.relative(&day.starter_dir.join("src/lib.rs")));
}

/// The earlier days whose `todo!("day NN: ...")` a failing test ran into: a
/// later day calls what the student wrote on an earlier one.
fn unfinished_earlier_days(output: &str, day: &str) -> Vec<String> {
    let mut days: Vec<String> = output
        .match_indices("not yet implemented: day ")
        .filter_map(|(at, marker)| output.get(at + marker.len()..at + marker.len() + 2))
        .filter(|number| number.bytes().all(|b| b.is_ascii_digit()) && *number < day)
        .map(str::to_owned)
        .collect();
    days.sort();
    days.dedup();
    days
}

fn progress(workspace: &Workspace) -> Result<ExitCode, String> {
    let days = workspace.days()?;
    for day in &days {
        let run = workspace.run_suite(&day.starter_package(), days::Output::Hide)?;
        if run.solved() {
            println!("✅ day {}  {}", day.number, day.title());
            continue;
        }
        println!("❌ day {}  {}  ← you are here", day.number, day.title());
        for later in days.iter().filter(|d| d.number > day.number) {
            println!("   day {}  {}", later.number, later.title());
        }
        println!();
        if run.compiled {
            println!(
                "{} of {} tests of day {} fail; `just check {}` shows them.",
                run.failed,
                run.total(),
                day.number,
                day.number
            );
        } else {
            println!(
                "Day {} does not compile yet; `just check {}` shows why.",
                day.number, day.number
            );
        }
        println!("Chapter: {}\n", workspace.relative(&day.chapter()));
        print!("{}", day.hint()?);
        return Ok(ExitCode::FAILURE);
    }
    println!("\n🏁 Every day passes. Well driven!");
    Ok(ExitCode::SUCCESS)
}

fn hint(workspace: &Workspace, day: &str) -> Result<ExitCode, String> {
    let days = workspace.days()?;
    let day = Day::select(&days, day)?;
    print!("{}", day.hint()?);
    Ok(ExitCode::SUCCESS)
}

fn generate_starters(workspace: &Workspace, day: Option<&str>) -> Result<ExitCode, String> {
    let days = workspace.days()?;
    let selected: Vec<&Day> = match day {
        Some(day) => vec![Day::select(&days, day)?],
        None => days.iter().collect(),
    };
    let written = generate::write_starters(workspace, &selected, &days)?;
    if let Some((folder, files)) = &written.saved {
        println!(
            "{} file(s) held work of your own; saved in {}/ first:",
            files.len(),
            folder.display()
        );
        for file in files {
            println!("  {}", file.display());
        }
    }
    for file in &written.changed {
        println!("wrote {}", file.display());
    }
    println!(
        "gen: {} starter(s) made from their solutions, {} file(s) changed; {} records them",
        selected.len(),
        written.changed.len(),
        generate::MANIFEST
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_todo_of_an_earlier_day_is_named() {
        let output = "thread 'suite::retries' panicked at days/day02-put-records/src/lib.rs:9:5:\n\
                      not yet implemented: day 02: compute the backoff delay\n\
                      not yet implemented: day 04: the handler\n\
                      not yet implemented: day 02: compute the backoff delay\n";
        assert_eq!(super::unfinished_earlier_days(output, "04"), ["02"]);
        assert!(super::unfinished_earlier_days(output, "02").is_empty());
    }
}
