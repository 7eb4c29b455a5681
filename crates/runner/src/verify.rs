//! `pitlane verify`: the proof that the workbook works, for every day.
//!
//! - the starter compiles, carries `// TODO` markers, and *no* test of its
//!   suite passes untouched (an exercise that passes before the student
//!   works is a bug);
//! - the solution passes the very same suite, every test, with snapshots
//!   read-only (a missing or changed snapshot fails);
//! - both ran the same number of tests (one suite, not two that drifted);
//! - the day has its hint and its book chapter, and no unreviewed snapshot
//!   (`.snap.new`) is left lying around.

use std::path::Path;
use std::process::ExitCode;

use crate::days::{Output, Workspace};

pub fn run(workspace: &Workspace) -> Result<ExitCode, String> {
    let days = workspace.days()?;
    if days.is_empty() {
        return Err("no days found under days/".to_owned());
    }
    println!(
        "{:<4} {:<26} {:<22} {:>5}  {:<5} {:<8} verdict",
        "day", "starter", "solution", "TODOs", "hint", "chapter"
    );
    let (mut good, mut bad) = (0, 0);
    for day in &days {
        let starter = workspace.run_suite(&day.starter_package(), Output::Hide)?;
        let solution = workspace.run_suite(&day.solution_package(), Output::Hide)?;
        let todos = count_todos(&day.starter_dir.join("src"));
        let has_hint = day.starter_dir.join("HINT.md").is_file();
        let has_chapter = day.chapter().is_file();
        let mut leftovers = Vec::new();
        find_unreviewed_snapshots(&day.starter_dir, &mut leftovers);
        find_unreviewed_snapshots(&day.solution_dir, &mut leftovers);

        let mut problems = Vec::new();
        if !starter.compiled {
            problems.push("the starter does not compile".to_owned());
        } else if starter.passed > 0 || starter.failed == 0 {
            problems.push(format!("{} starter test(s) pass untouched", starter.passed));
        }
        if !solution.solved() {
            problems.push("the solution fails its suite".to_owned());
        } else if solution.total() != starter.total() {
            problems.push(format!(
                "the suites differ: {} vs {} tests",
                starter.total(),
                solution.total()
            ));
        }
        if todos == 0 {
            problems.push("the starter has no // TODO marker".to_owned());
        }
        if !has_hint {
            problems.push("HINT.md is missing".to_owned());
        }
        if !has_chapter {
            problems.push(format!("{} is missing", workspace.relative(&day.chapter())));
        }
        for file in &leftovers {
            problems.push(format!("unreviewed snapshot {}", workspace.relative(file)));
        }

        let starter_cell = if starter.compiled {
            format!("compiles, {}/{} pass", starter.passed, starter.total())
        } else {
            "does not compile".to_owned()
        };
        let solution_cell = format!("{}/{} pass", solution.passed, solution.total());
        let verdict = if problems.is_empty() {
            "✅ ok".to_owned()
        } else {
            format!("❌ {}", problems.join("; "))
        };
        println!(
            "{:<4} {:<26} {:<22} {:>5}  {:<5} {:<8} {verdict}",
            day.number,
            starter_cell,
            solution_cell,
            todos,
            yes_no(has_hint),
            yes_no(has_chapter)
        );
        if problems.is_empty() {
            good += 1;
        } else {
            bad += 1;
            if !solution.solved() {
                println!("---- {} output ----\n{}", day.solution_package(), solution.output);
            }
        }
    }
    println!("verify: {good} passed, {bad} failed");
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "NO" }
}

/// The number of `// TODO` markers in the `.rs` files under `folder`.
fn count_todos(folder: &Path) -> usize {
    rust_files(folder)
        .iter()
        .filter_map(|file| std::fs::read_to_string(file).ok())
        .map(|text| text.matches("// TODO").count())
        .sum()
}

fn rust_files(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// Snapshots insta wrote but nobody reviewed: `*.snap.new`, `*.pending-snap`.
fn find_unreviewed_snapshots(folder: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if path.is_dir() && name != "target" {
            find_unreviewed_snapshots(&path, found);
        } else if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            found.push(path);
        }
    }
}
