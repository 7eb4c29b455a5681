//! `xtask verify`: the proof that the workbook works, for every day.
//!
//! - the starter is what the generator makes of the solution now (a solution
//!   changed without `just gen` fails here, naming the file), and in CI the
//!   committed starter is exactly that;
//! - the *pristine* starter, as generated, compiles, carries `// TODO`
//!   markers, and *no* test of its suite passes (an exercise that passes
//!   before the student works is a bug). Where `days/` holds a student's
//!   work, the pristine starter is built in a scratch workspace instead
//!   (`crates/xtask/src/pristine.rs`), so a solved day does not fail this;
//! - the solution passes the very same suite, every test, with snapshots
//!   read-only (a missing or changed snapshot fails);
//! - both ran the same number of tests (one suite, not two that drifted);
//! - the day has its hints (in English and in Spanish, three levels each) and
//!   its book chapter, and no unreviewed snapshot
//!   (`.snap.new`) is left lying around.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::pristine;
use anyhow::{Result, bail};
use pitlane_course::generate::{self, StarterFile};
use pitlane_course::{Day, Output, TestRun, Workspace};

/// Whether this is CI, where `days/` must be exactly what the generator wrote.
fn strict() -> bool {
    std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0")
}

pub fn run(workspace: &Workspace) -> Result<ExitCode> {
    let days = workspace.days()?;
    if days.is_empty() {
        bail!("no days found under solutions/");
    }
    let strict = strict();
    let students = generate::days_with_students_work(workspace, &days)?;
    let states = days
        .iter()
        .map(|day| generate::state(workspace, day, &days))
        .collect::<Result<Vec<_>, _>>()?;
    // The day's starter, or an earlier one it builds on, holds the student's
    // work: outside CI its pristine version is tested apart, in a scratch
    // workspace that holds every such day.
    let yours: Vec<bool> = days.iter().map(|day| !strict && students.contains(&day.slug)).collect();
    let apart: Vec<(&Day, &[StarterFile])> = days
        .iter()
        .zip(&states)
        .zip(&yours)
        .filter(|(_, yours)| **yours)
        .map(|((day, state), _)| (day, state.files.as_slice()))
        .collect();
    let scratch =
        if apart.is_empty() { None } else { Some(pristine::prepare(workspace, &days, &apart)?) };
    let jobs: Vec<Job> = days
        .iter()
        .zip(&yours)
        .flat_map(|(day, yours)| {
            let starter = match (&scratch, yours) {
                (Some(folder), true) => {
                    Job { folder: folder.clone(), package: pristine::package(day) }
                }
                _ => Job { folder: workspace.root.clone(), package: day.starter_package() },
            };
            let solution = Job { folder: workspace.root.clone(), package: day.solution_package() };
            [starter, solution]
        })
        .collect();

    println!(
        "{:<4} {:<37} {:<12} {:>5}  {:<5} {:<8} verdict",
        "day", "starter", "solution", "TODOs", "hint", "chapter"
    );
    let (mut good, mut bad, mut modified) = (0, 0, 0);
    let mut runs = run_jobs(workspace, jobs);
    for ((day, state), yours) in days.iter().zip(&states).zip(yours) {
        let starter = runs.next().expect("a starter run per day")?;
        let solution = runs.next().expect("a solution run per day")?;
        let mut problems = Vec::new();
        problems.extend(
            state.stale.iter().map(|stale| format!("{stale}: run `just gen {}`", day.number)),
        );
        if strict {
            for file in &state.extra {
                problems.push(format!(
                    "{} is not a file the generator makes: starters are made from solutions/ \
                     (add it there, then `just gen {}`)",
                    file.display(),
                    day.number
                ));
            }
            for file in &state.modified {
                problems.push(format!(
                    "{} is not what the generator wrote: starters are made from solutions/ \
                     (edit the solution, then `just gen {}`)",
                    file.display(),
                    day.number
                ));
            }
        }
        let todos = count_todos(&state.files);
        let hints = pitlane_course::hints::Hints::load(workspace, day, pitlane_course::Lang::En);
        let has_chapter = day.chapter().is_file();
        let mut leftovers = Vec::new();
        find_unreviewed_snapshots(&day.starter_dir, &mut leftovers);
        find_unreviewed_snapshots(&day.solution_dir, &mut leftovers);
        find_unreviewed_snapshots(&day.suite_dir(), &mut leftovers);
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
        let has_hint = hints.is_ok();
        match hints {
            Ok(hints) if hints.levels.len() == 3 => {}
            Ok(hints) => problems.push(format!(
                "{} has {} hint level(s), not 3 (the concept; the types and methods; nearly the code)",
                workspace.relative(&pitlane_course::hints::Hints::file(workspace, day, pitlane_course::Lang::En)),
                hints.levels.len()
            )),
            Err(error) => problems.push(error.to_string()),
        }
        // The Spanish hints: the same three levels (`## Nivel N`).
        let spanish = workspace.root.join("hints/es").join(format!("{}.md", day.slug));
        if !spanish.is_file() {
            problems.push(format!(
                "{} is missing (the hints in Spanish)",
                workspace.relative(&spanish)
            ));
        } else {
            match pitlane_course::hints::Hints::load(workspace, day, pitlane_course::Lang::Es) {
                Ok(hints) if hints.levels.len() == 3 && hints.taught.is_some() => {}
                Ok(hints) => problems.push(format!(
                    "{} has {} level(s) and {} `Aprendiste:` line, not 3 and 1",
                    workspace.relative(&spanish),
                    hints.levels.len(),
                    usize::from(hints.taught.is_some())
                )),
                Err(error) => problems.push(error.to_string()),
            }
        }
        if !has_chapter {
            problems.push(format!("{} is missing", workspace.relative(&day.chapter())));
        }
        for file in &leftovers {
            problems.push(format!("unreviewed snapshot {}", workspace.relative(file)));
        }

        let starter_cell = if starter.compiled {
            let pristine = if yours { " (pristine)" } else { "" };
            format!("compiles, {}/{} pass{pristine}", starter.passed, starter.total())
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
            "{:<4} {:<37} {:<12} {:>5}  {:<5} {:<8} {verdict}",
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
            if !starter.compiled {
                println!("---- {} output ----\n{}", day.starter_package(), starter.output);
            }
        }
        if yours {
            modified += 1;
        }
    }
    if modified > 0 {
        println!(
            "({modified} day(s) in days/ hold your own work, or build on it: verify tested their pristine \
             starters in {}; `just progress` tests yours)",
            pristine::FOLDER
        );
    }
    println!("verify: {good} passed, {bad} failed");
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "NO" }
}

/// One suite to run: a package of the cargo workspace in `folder`.
struct Job {
    folder: PathBuf,
    package: String,
}

/// How many suites run at once: `PITLANE_VERIFY_JOBS`, 3 by default. The
/// suites wait on the local backend more than on the CPU, and cargo locks
/// the build folder only while it builds: on two cores, three at a time
/// took 50 s where one after the other took 71 s.
fn jobs_at_once() -> usize {
    std::env::var("PITLANE_VERIFY_JOBS").ok().and_then(|n| n.parse().ok()).unwrap_or(3).max(1)
}

/// Runs every job, `jobs_at_once()` at a time, and yields their results in
/// the jobs' order as soon as each is known.
fn run_jobs(
    workspace: &Workspace,
    jobs: Vec<Job>,
) -> impl Iterator<Item = pitlane_course::Result<TestRun>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(jobs.into_iter().enumerate()));
    for _ in 0..jobs_at_once() {
        let (queue, sender, workspace) = (queue.clone(), sender.clone(), workspace.clone());
        std::thread::spawn(move || {
            loop {
                let next = queue.lock().expect("no worker panics holding the queue").next();
                let Some((index, job)) = next else { break };
                let run = workspace.run_suite_in(&job.folder, &job.package, Output::Hide);
                if sender.send((index, run)).is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);
    let mut waiting = std::collections::BTreeMap::new();
    let mut next = 0;
    std::iter::from_fn(move || {
        loop {
            if let Some(run) = waiting.remove(&next) {
                next += 1;
                return Some(run);
            }
            let (index, run) = receiver.recv().ok()?;
            waiting.insert(index, run);
        }
    })
}

/// The number of `// TODO` markers in the starter's Rust files, as generated.
fn count_todos(files: &[StarterFile]) -> usize {
    files
        .iter()
        .filter(|file| file.path.extension().is_some_and(|ext| ext == "rs"))
        .map(|file| file.text.matches("// TODO").count())
        .sum()
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
