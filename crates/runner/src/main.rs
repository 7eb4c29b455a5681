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
use pitlane_course::{Day, Lang, TestRun, Workspace, cache, generate, hints, report, tr};

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
    let lang = Lang::from_env();
    let result =
        Workspace::find().map_err(anyhow::Error::from).and_then(|workspace| match cli.command {
            Command::List => list(&workspace, lang),
            Command::Check { day, filters, solution, verbose } => {
                check(&workspace, &day, solution, verbose, &filters, lang)
            }
            Command::Watch { day } => watch::run(&workspace, day.as_deref(), lang),
            Command::Progress { cached } => progress(&workspace, cached, lang),
            Command::Hint { day, level } => hint(&workspace, &day, level, lang),
            Command::Reset { day } => reset(&workspace, &day, lang),
        });
    // The command itself went wrong (a bad day number, a folder that cannot
    // be read): exit status 2, apart from 1, "not finished yet".
    result.unwrap_or_else(|error| {
        eprintln!("pitlane: {}", said(&error, lang));
        ExitCode::from(2)
    })
}

/// A command's error, in `lang`: the ones a student meets by mistyping
/// (a day, a hint level) in Spanish too; the rest (a file that cannot be
/// read) as the system says them.
fn said(error: &anyhow::Error, lang: Lang) -> String {
    use pitlane_course::Error;
    match (lang, error.downcast_ref::<Error>()) {
        (Lang::Es, Some(Error::NotADayNumber { wanted })) => {
            format!("{wanted:?} no es un número de día (prueba con 01)")
        }
        (Lang::Es, Some(Error::NoSuchDay { number })) => {
            format!("no hay un día {number:02}; `just list` muestra los días")
        }
        (Lang::Es, Some(Error::NoSuchHintLevel { day, count, asked })) => {
            format!("el día {day} tiene niveles de pista del 1 al {count}, no {asked}")
        }
        _ => format!("{error:#}"),
    }
}

/// Where to read the day's chapter: its page in the book built for offline
/// reading (in the student's language), and how to build it when it is not
/// there yet.
fn chapter_pointer(workspace: &Workspace, day: &Day, lang: Lang) -> String {
    let file = day.chapter_page_in(lang);
    let page = workspace.relative(&file);
    match (file.is_file(), lang) {
        (true, Lang::En) => {
            format!(
                "{page} (`just book-serve` serves it live; the published book has the same page)"
            )
        }
        (false, Lang::En) => {
            format!("{page} (`just book` builds it; the published book has the same page)")
        }
        (true, Lang::Es) => format!(
            "{page} (`just book-serve es` abre una vista previa en vivo; el libro publicado tiene la \
             misma página)"
        ),
        (false, Lang::Es) => {
            format!("{page} (`just book` lo construye; el libro publicado tiene la misma página)")
        }
    }
}

fn list(workspace: &Workspace, lang: Lang) -> Result<ExitCode> {
    for day in workspace.days()? {
        println!("{}  {}", day.number, day.title_in(lang));
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
    lang: Lang,
) -> Result<ExitCode> {
    let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
    let filters = filters.as_slice();
    let days = workspace.days()?;
    let day = Day::select(&days, day)?;
    let package = if solution { day.solution_package() } else { day.starter_package() };
    let (number, title, root) = (&day.number, day.title_in(lang), workspace.root.display());
    println!(
        "{}",
        tr!(
            lang,
            "── day {number} · {title} · {package} · in {root} ──",
            "── día {number} · {title} · {package} · en {root} ──"
        )
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
    let matching = match (filters.is_empty(), lang) {
        (true, _) => String::new(),
        (false, Lang::En) => format!(" matching `{}`", filters.join("` or `")),
        (false, Lang::Es) => format!(" que contienen `{}`", filters.join("` o `")),
    };
    if run.compiled && run.total() == 0 && !filters.is_empty() {
        let suite = workspace.relative(&day.suite_dir().join("mod.rs"));
        println!(
            "{}",
            tr!(
                lang,
                "No test of day {number}{matching}: `just check {number}` runs them all, and their \
                 names are in {suite}.",
                "Ninguna prueba del día {number}{matching}: `just check {number}` las ejecuta \
                 todas, y sus nombres están en {suite}."
            )
        );
        return Ok(ExitCode::FAILURE);
    }
    let passed = run.passed;
    if run.solved() && !filters.is_empty() {
        println!(
            "{}",
            match (lang, passed) {
                (Lang::Es, 1) => format!(
                    "✅ pasa la única prueba del día {number}{matching}; `just check {number}` las \
                     ejecuta todas."
                ),
                _ => tr!(
                    lang,
                    "✅ the {passed} test(s) of day {number}{matching} pass; `just check {number}` \
                     runs them all.",
                    "✅ pasan las {passed} pruebas del día {number}{matching}; `just check {number}` \
                     las ejecuta todas."
                ),
            }
        );
        Ok(ExitCode::SUCCESS)
    } else if run.solved() {
        println!(
            "{}",
            tr!(
                lang,
                "✅ day {number} passes: {passed} tests.",
                "✅ el día {number} pasa: {passed} pruebas."
            )
        );
        if let Some(next) = days.iter().find(|d| d.number > day.number) {
            let (next, title) = (&next.number, next.title_in(lang));
            println!(
                "{}",
                tr!(
                    lang,
                    "   Next: day {next} — {title} (`just check {next}`).",
                    "   Siguiente: día {next} — {title} (`just check {next}`)."
                )
            );
        }
        Ok(ExitCode::SUCCESS)
    } else {
        explain_failure(workspace, day, &package, &run, verbose, lang);
        Ok(ExitCode::FAILURE)
    }
}

fn explain_failure(
    workspace: &Workspace,
    day: &Day,
    package: &str,
    run: &TestRun,
    verbose: bool,
    lang: Lang,
) {
    let number = &day.number;
    let (failed, total) = (run.failed, run.total());
    let fail = fail_word(lang, failed);
    if let Some(error) = run.compiler_error() {
        println!(
            "{}",
            tr!(
                lang,
                "❌ day {number}: the code does not compile. The compiler's first error:\n",
                "❌ día {number}: el código no compila. El primer error del compilador:\n"
            )
        );
        println!("{}\n", indent(&error, lang));
        if let Some(other) = day_of_error(&error).filter(|other| other != number) {
            println!(
                "{}",
                tr!(
                    lang,
                    "   That error is in your day {other}, which day {number} builds on: `just \
                     check {other}` first.",
                    "   Ese error está en tu día {other}, sobre el que se construye el día \
                     {number}: primero `just check {other}`."
                )
            );
        }
    } else if !run.compiled {
        // Cargo stopped before the compiler said why (a broken Cargo.toml,
        // say): its own last words are the message.
        println!(
            "{}",
            tr!(
                lang,
                "❌ day {number}: cargo could not build the tests:\n",
                "❌ día {number}: cargo no pudo construir las pruebas:\n"
            )
        );
        let tail: Vec<&str> = run.stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        println!("{}\n", indent(&tail.join("\n"), lang));
    } else if let Some((name, message)) = run.first_failure() {
        println!(
            "{}",
            tr!(
                lang,
                "❌ day {number}: {failed} of {total} tests fail. The first failure, the test \
                 {name}:\n",
                "❌ día {number}: {fail} {failed} de {total} pruebas. La primera prueba que falla \
                 es {name}:\n"
            )
        );
        println!("{}\n", indent(&message, lang));
    } else {
        println!(
            "{}",
            tr!(
                lang,
                "❌ day {number}: {failed} of {total} tests fail.",
                "❌ día {number}: {fail} {failed} de {total} pruebas."
            )
        );
    }
    for earlier in unfinished_earlier_days(&run.output, number) {
        let needed: Vec<String> = earlier
            .todos
            .iter()
            .map(|(what, at)| match at {
                Some(at) => format!("«{what}» ({at})"),
                None => format!("«{what}»"),
            })
            .collect();
        let (earlier, needed) = (&earlier.day, needed.join(", "));
        println!(
            "{}",
            tr!(
                lang,
                "   Day {number} builds on your day {earlier}, which is not finished yet: it \
                 stopped at the `todo!` of {needed}. Write that (its TODO says what), then `just \
                 check {earlier}` checks it.",
                "   El día {number} se construye sobre tu día {earlier}, que aún no está \
                 terminado: se detuvo en el `todo!` de {needed}. Escríbelo (su TODO dice qué), y \
                 `just check {earlier}` lo comprueba."
            )
        );
    }
    println!("   {}", hints::summary(workspace, day, lang));
    let chapter = chapter_pointer(workspace, day, lang);
    println!("{}", tr!(lang, "   Chapter: {chapter}", "   Capítulo: {chapter}"));
    let code = if package.ends_with("-solution") { &day.solution_dir } else { &day.starter_dir };
    let code = workspace.relative(&code.join("src/lib.rs"));
    println!("{}", tr!(lang, "   Code:    {code}", "   Código:   {code}"));
    if !verbose {
        println!(
            "{}",
            tr!(
                lang,
                "   Everything cargo said: `just check {number} --verbose`.",
                "   La salida completa de cargo: `just check {number} --verbose`."
            )
        );
    }
}

/// "fallan" (N fail) or "falla" (1 fails), for the Spanish counts.
fn fail_word(lang: Lang, failed: u32) -> &'static str {
    match (lang, failed) {
        (Lang::Es, 1) => "falla",
        _ => "fallan",
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

fn indent(text: &str, lang: Lang) -> String {
    report::quote(text, QUOTED_LINES, lang)
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

fn progress(workspace: &Workspace, cached_only: bool, lang: Lang) -> Result<ExitCode> {
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
        // A suite that must run again is named as it starts, and its time
        // given when it ends: after an edit to a day that later days build
        // on, several run, and the table waits for all of them.
        let mut started = None;
        let starting = || {
            eprint!(
                "{}",
                tr!(
                    lang,
                    "day {}: its tests run again (it, or a day it builds on, changed)… ",
                    "día {}: sus pruebas vuelven a correr (cambió él, o un día en el que se basa)… ",
                    day.number
                )
            );
            started = Some(std::time::Instant::now());
        };
        match cache.verdict(workspace, day, &days, !cached_only, starting)? {
            Some(verdict) => verdicts.push(Some(verdict)),
            None => return Ok(ExitCode::from(NEEDS_SUITES)),
        }
        if let Some(started) = started {
            let seconds = format!("{:.1}", started.elapsed().as_secs_f64());
            eprintln!("{} s", if lang == Lang::Es { seconds.replace('.', ",") } else { seconds });
        }
    }
    let first_unsolved = verdicts.iter().position(|verdict| !verdict.is_some_and(|v| v.solved()));
    let titles: Vec<String> = days.iter().map(|day| day.title_in(lang)).collect();
    let width = titles.iter().map(|title| title.chars().count()).max().unwrap_or(0);
    for (at, ((day, verdict), title)) in days.iter().zip(&verdicts).zip(&titles).enumerate() {
        let state = match verdict {
            Some(v) if v.solved() => match (lang, v.total()) {
                (Lang::En, 1) => "1 test passes".to_owned(),
                (Lang::Es, 1) => "pasa 1 prueba".to_owned(),
                (_, total) => tr!(lang, "{} tests pass", "pasan {} pruebas", total),
            },
            Some(v) if v.compiled => {
                let fail = fail_word(lang, v.failed);
                tr!(lang, "{} of {} tests fail", "{fail} {} de {}", v.failed, v.total())
            }
            Some(_) => tr!(lang, "does not compile", "no compila"),
            None => tr!(lang, "not started", "sin empezar"),
        };
        let mark = match verdict {
            Some(verdict) if verdict.solved() => "✅",
            Some(_) => "❌",
            None => "· ",
        };
        let here = match (Some(at) == first_unsolved, lang) {
            (true, Lang::En) => "  ← next",
            (true, Lang::Es) => "  ← siguiente",
            (false, _) => "",
        };
        let word = tr!(lang, "day", "día");
        println!("{mark} {word} {}  {title:<width$}  {state}{here}", day.number);
    }
    let Some(at) = first_unsolved else {
        println!(
            "\n{}",
            tr!(
                lang,
                "🏁 Every day passes. Well driven!",
                "🏁 Todos los días pasan. ¡Bien manejado!"
            )
        );
        return Ok(ExitCode::SUCCESS);
    };
    let day = &days[at];
    let number = &day.number;
    println!();
    let next = match verdicts[at] {
        Some(verdict) if !verdict.compiled => tr!(
            lang,
            "Day {number} does not compile yet; `just check {number}` shows why.",
            "El día {number} todavía no compila; `just check {number}` muestra por qué."
        ),
        Some(_) => tr!(
            lang,
            "`just check {number}` shows what fails.",
            "`just check {number}` muestra qué falla."
        ),
        None => tr!(
            lang,
            "Day {number} is next: `just check {number}` runs its tests.",
            "El siguiente es el día {number}: `just check {number}` ejecuta sus pruebas."
        ),
    };
    println!("{next}");
    let chapter = chapter_pointer(workspace, day, lang);
    println!("{}", tr!(lang, "Chapter: {chapter}", "Capítulo: {chapter}"));
    println!("{}", hints::summary(workspace, day, lang));
    Ok(ExitCode::FAILURE)
}

fn hint(workspace: &Workspace, day: &str, level: Option<usize>, lang: Lang) -> Result<ExitCode> {
    let days = workspace.days()?;
    let day = Day::select(&days, day)?;
    print!("{}", hints::show(workspace, day, level, lang)?);
    Ok(ExitCode::SUCCESS)
}

fn reset(workspace: &Workspace, wanted: &str, lang: Lang) -> Result<ExitCode> {
    let days = workspace.days()?;
    let day = Day::select(&days, wanted)?;
    print!("{}", pitlane_course::reset(workspace, day, &days, lang)?);
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
