//! `pitlane watch [NN]`: the day's suite re-run on every save, on one screen.
//!
//! It opens at day NN, or at the first day not solved yet, runs its suite and
//! draws what a student needs: how many tests pass, the first failure (or the
//! compiler's first error, with its file and line), and the keys. Each save
//! in `days/` runs the suite again; a save made while a run is under way runs
//! it once more afterwards.
//!
//! Design choices, for the thirty laptops of a class:
//! - **Saves are found by polling**, every `PITLANE_WATCH_POLL_MS` (300 by
//!   default): the size and modification time of each file under `days/`.
//!   File-system events never arrive from a Windows folder under WSL2
//!   (`/mnt/c`), a network share or a container mount; polling does, the same
//!   everywhere, costs a few hundred `stat` calls a second, and needs no
//!   dependency. An editor that saves by writing a new file and renaming it
//!   over the old one changes the modification time too.
//! - **Keys are read raw** with `stty` (no line buffering, no echo, and no
//!   signals: Ctrl-C arrives as a key and quits like `q`, so the terminal is
//!   always put back as it was). Without a terminal (a pipe), keys are read
//!   as they come, each followed by Enter.
//! - **The suite runs on a thread of its own**, so keys answer at once; `q`
//!   stops a run under way.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, SystemTime};

use pitlane_course::cache::{self, Cache, Verdict};
use pitlane_course::{Day, Lang, Output, TestRun, Workspace, generate, hints, report, tr};

/// The longest failure message or compiler error shown; the rest is one
/// `just check NN --verbose` away.
const MESSAGE_LINES: usize = 20;

enum Event {
    Key(u8),
    Saved,
    /// A run's outcome, with the fingerprint of the files it started from.
    Finished(pitlane_course::Result<TestRun>, String),
}

/// What the lower part of the screen shows, below the day's state.
enum Panel {
    None,
    /// A hint, the list of days, what a reset did: it stays while the
    /// student works (a save does not hide the hint being followed) until
    /// another key.
    Text(String),
    /// A short answer to a key ("not solved yet"): gone at the next save.
    Notice(String),
    /// A hint, or the offer of the first one: stays as `Text` does; `h`
    /// pressed while it shows gives the next level.
    Hint(String),
    /// The list of days, with their verdicts as they are at each redraw.
    Days,
    ConfirmReset,
}

/// The run of the day's suite: under way, or its outcome.
enum State {
    Running,
    Done(TestRun),
    Failed(String),
}

pub fn run(workspace: &Workspace, wanted: Option<&str>, lang: Lang) -> anyhow::Result<ExitCode> {
    let days = workspace.days()?;
    let mut current = match wanted {
        Some(wanted) => {
            let day = Day::select(&days, wanted)?;
            days.iter().position(|d| d.number == day.number).unwrap_or(0)
        }
        None => first_unsolved(workspace, &days, lang)?,
    };

    let _terminal = Terminal::raw();
    let (events, receiver) = mpsc::channel();
    spawn_keys(events.clone());
    spawn_polling(workspace.root.join("days"), events.clone());

    let mut panel = Panel::None;
    let mut state = start(workspace, &days[current], &days, &events);
    let mut again = false;
    loop {
        draw(workspace, &days, current, &state, &panel, lang);
        let Ok(event) = receiver.recv() else { break };
        match event {
            Event::Saved => {
                if matches!(panel, Panel::Notice(_)) {
                    panel = Panel::None;
                }
                if matches!(state, State::Running) {
                    again = true;
                } else {
                    state = start(workspace, &days[current], &days, &events);
                }
            }
            Event::Finished(outcome, fingerprint) => {
                state = match outcome {
                    Ok(run) => {
                        // Keyed by the files as the run found them: a save
                        // during the run is a new key, and a new run.
                        let verdict = Verdict::of(&run);
                        Cache::load(workspace).put(&days[current], &fingerprint, verdict);
                        State::Done(run.sort_as_in(&days[current]))
                    }
                    Err(error) => State::Failed(error.to_string()),
                };
                if std::mem::take(&mut again) {
                    state = start(workspace, &days[current], &days, &events);
                }
            }
            Event::Key(key) => {
                if matches!(panel, Panel::ConfirmReset) {
                    // y(es), or s(í) as the Spanish prompt asks.
                    panel = if key == b'y' || (lang == Lang::Es && key == b's') {
                        let said = pitlane_course::reset(workspace, &days[current], &days, lang);
                        Panel::Text(said.unwrap_or_else(|error| {
                            tr!(lang, "Reset failed: {error}", "No se pudo restaurar: {error}")
                        }))
                    } else {
                        Panel::Notice(tr!(lang, "Nothing was reset.", "No se restauró nada."))
                    };
                    continue;
                }
                match key {
                    b'q' | 3 | 4 => break, // q, Ctrl-C, Ctrl-D
                    b'h' => {
                        let again = matches!(panel, Panel::Hint(_));
                        let hint = hints::watch_key(workspace, &days[current], again, lang);
                        panel = Panel::Hint(hint.unwrap_or_else(|error| error.to_string()));
                    }
                    b'l' => panel = Panel::Days,
                    b'r' => panel = Panel::ConfirmReset,
                    b'n' => {
                        let solved = matches!(&state, State::Done(run) if run.solved());
                        if !solved {
                            let number = &days[current].number;
                            panel = Panel::Notice(tr!(
                                lang,
                                "Day {number} is not solved yet: `n` moves on once it passes.",
                                "El día {number} todavía no está resuelto: `n` avanza cuando pase."
                            ));
                        } else if current + 1 == days.len() {
                            panel = Panel::Notice(tr!(
                                lang,
                                "That was the last day. 🏁",
                                "Ese fue el último día. 🏁"
                            ));
                        } else {
                            current += 1;
                            panel = Panel::None;
                            state = start(workspace, &days[current], &days, &events);
                        }
                    }
                    // Any other key (Enter, Esc) closes the panel.
                    _ => panel = Panel::None,
                }
            }
        }
    }
    // Stop a run under way: its cargo is killed (within 50 ms), and its
    // thread given a moment to say so, so that no cargo outlives the watch.
    if matches!(state, State::Running) {
        workspace.stop_runs();
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            if let Ok(Event::Finished(..)) | Err(_) = receiver.recv_timeout(left) {
                break;
            }
        }
    }
    println!("\r");
    Ok(ExitCode::SUCCESS)
}

/// The first day whose (remembered, or run) verdict is not solved.
fn first_unsolved(
    workspace: &Workspace,
    days: &[Day],
    lang: Lang,
) -> pitlane_course::Result<usize> {
    println!(
        "{}",
        tr!(
            lang,
            "Finding the first day not solved yet (unchanged days answer from memory)…",
            "Buscando el primer día sin resolver (los días sin cambios responden de memoria)…"
        )
    );
    let mut cache = Cache::load(workspace);
    // A day whose own files are as generated is not started: no run needed.
    let edited = generate::days_edited(workspace, days)?;
    for (index, day) in days.iter().enumerate() {
        if !edited.contains(&day.slug) {
            return Ok(index);
        }
        let verdict =
            cache.verdict(workspace, day, days, true, || {})?.expect("a run gives a verdict");
        if !verdict.solved() {
            return Ok(index);
        }
    }
    Ok(days.len() - 1)
}

/// Runs `day`'s suite on a thread; its outcome comes back as an event, with
/// the fingerprint of the files it started from (for the verdict cache).
fn start(workspace: &Workspace, day: &Day, days: &[Day], events: &Sender<Event>) -> State {
    workspace.allow_runs();
    let fingerprint = cache::fingerprint(workspace, day, days);
    let workspace = workspace.clone();
    let package = day.starter_package();
    let events = events.clone();
    std::thread::spawn(move || {
        let outcome = workspace.run_suite(&package, Output::Hide);
        let _ = events.send(Event::Finished(outcome, fingerprint));
    });
    State::Running
}

fn list(workspace: &Workspace, days: &[Day], current: usize, lang: Lang) -> String {
    let cache = Cache::load(workspace);
    let mut text = tr!(
        lang,
        "The days (✅ solved, ❌ not yet, · not checked since the last change):\n",
        "Los días (✅ resuelto, ❌ todavía no, · sin comprobar desde el último cambio):\n"
    );
    for (index, day) in days.iter().enumerate() {
        let fingerprint = cache::fingerprint(workspace, day, days);
        let mark = match cache.get(day, &fingerprint) {
            Some(verdict) if verdict.solved() => "✅",
            Some(_) => "❌",
            None => "· ",
        };
        let here = match (index == current, lang) {
            (true, Lang::En) => "  ← watching",
            (true, Lang::Es) => "  ← en pantalla",
            (false, _) => "",
        };
        let (number, title) = (&day.number, day.title_in(lang));
        text += &tr!(
            lang,
            "  {mark} day {number}  {title}{here}\n",
            "  {mark} día {number}  {title}{here}\n"
        );
    }
    text + &tr!(lang, "`just watch NN` opens another day.", "`just watch NN` abre otro día.")
}

fn draw(
    workspace: &Workspace,
    days: &[Day],
    current: usize,
    state: &State,
    panel: &Panel,
    lang: Lang,
) {
    let day = &days[current];
    let (number, title) = (&day.number, day.title_in(lang));
    let code = workspace.relative(&day.starter_dir.join("src/lib.rs"));
    let chapter = workspace.relative(&day.chapter_page_in(lang));
    let mut screen = String::from("\x1b[2J\x1b[H");
    screen += &tr!(
        lang,
        "Pitlane · day {number} — {title}\nCode: {code}   Chapter: {chapter}\n\n",
        "Pitlane · día {number} — {title}\nCódigo: {code}   Capítulo: {chapter}\n\n"
    );
    screen += &match state {
        State::Running => tr!(lang, "⏳ running the tests…\n", "⏳ ejecutando las pruebas…\n"),
        State::Failed(message) => tr!(
            lang,
            "❌ the tests could not run: {message}\n",
            "❌ las pruebas no pudieron ejecutarse: {message}\n"
        ),
        State::Done(run) => outcome(workspace, days, current, run, lang),
    };
    screen.push('\n');
    match panel {
        Panel::None => {}
        Panel::Text(text) | Panel::Hint(text) | Panel::Notice(text) => {
            screen += &format!("{}\n\n", text.trim_end())
        }
        Panel::Days => screen += &format!("{}\n\n", list(workspace, days, current, lang)),
        Panel::ConfirmReset => {
            screen += &tr!(
                lang,
                "Reset day {number} to its starter? Your files are copied to .pitlane/saved/ \
                 first. [y/N]\n\n",
                "¿Restaurar el día {number} a su código inicial? Tus archivos se copian antes a \
                 .pitlane/saved/. [s/N]\n\n"
            );
        }
    }
    screen += &tr!(
        lang,
        "h hint (again: next level) · l days · r reset · n next day · q quit  (runs on save)\n",
        "h pista (otra vez: siguiente nivel) · l días · r restaurar · n día siguiente · q salir  \
         (se ejecuta al guardar)\n"
    );
    // Raw mode: a newline only moves down, so each line also returns the cursor.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(screen.replace('\n', "\r\n").as_bytes());
    let _ = out.flush();
}

fn outcome(
    workspace: &Workspace,
    days: &[Day],
    current: usize,
    run: &TestRun,
    lang: Lang,
) -> String {
    let day = &days[current];
    let (number, passed, total) = (&day.number, run.passed, run.total());
    if run.solved() {
        let mut text = tr!(
            lang,
            "✅ Day {number} passes: {passed} of {total} tests.\n",
            "✅ El día {number} pasa: {passed} de {total} pruebas.\n"
        );
        if let Some(taught) = hints::Hints::load(workspace, day, lang).ok().and_then(|h| h.taught) {
            text += &tr!(lang, "   It taught: {taught}\n", "   Aprendiste: {taught}\n");
        }
        text += &match days.get(current + 1) {
            Some(next) => {
                let (next, title) = (&next.number, next.title_in(lang));
                tr!(
                    lang,
                    "   Next: day {next} — {title}: press n.\n",
                    "   Siguiente: día {next} — {title}: presiona n.\n"
                )
            }
            None => tr!(
                lang,
                "   That was the last day: every day passes. Well driven! 🏁\n",
                "   Ese fue el último día: todos los días pasan. ¡Bien manejado! 🏁\n"
            ),
        };
        return text;
    }
    if let Some(error) = run.compiler_error() {
        let error = shorten(&error, lang);
        return tr!(
            lang,
            "❌ Day {number} does not compile. The compiler's first error:\n\n{error}\n",
            "❌ El día {number} no compila. El primer error del compilador:\n\n{error}\n"
        );
    }
    if !run.compiled {
        return tr!(
            lang,
            "❌ cargo could not build day {number}: `just check {number} --verbose` shows why.\n",
            "❌ cargo no pudo construir el día {number}: `just check {number} --verbose` muestra \
             por qué.\n"
        );
    }
    let mut text = tr!(
        lang,
        "❌ {passed} of {total} tests pass.\n",
        "❌ pasan {passed} de {total} pruebas.\n"
    );
    if let Some((name, message)) = run.first_failure() {
        let message = shorten(&message, lang);
        text += &tr!(
            lang,
            "\nThe first failure, the test {name}:\n\n{message}\n",
            "\nLa primera prueba que falla es {name}:\n\n{message}\n"
        );
    }
    text
}

/// At most [`MESSAGE_LINES`] lines, indented (see [`report::quote`]).
fn shorten(text: &str, lang: Lang) -> String {
    report::quote(text, MESSAGE_LINES, lang)
}

/// Each byte typed, as an event.
fn spawn_keys(events: Sender<Event>) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut byte = [0u8; 1];
        while let Ok(1) = stdin.read(&mut byte) {
            if events.send(Event::Key(byte[0])).is_err() {
                return;
            }
        }
        // End of input (a closed pipe) quits, as Ctrl-D does.
        let _ = events.send(Event::Key(4));
    });
}

/// An event each time a file under `folder` changes, is added or removed.
fn spawn_polling(folder: PathBuf, events: Sender<Event>) {
    let every = std::env::var("PITLANE_WATCH_POLL_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_millis(300), Duration::from_millis);
    std::thread::spawn(move || {
        let mut last = snapshot(&folder);
        loop {
            std::thread::sleep(every);
            let now = snapshot(&folder);
            if now != last {
                last = now;
                if events.send(Event::Saved).is_err() {
                    return;
                }
            }
        }
    });
}

/// Every file under `folder` with its size and modification time, sorted.
fn snapshot(folder: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_owned()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') || name == "target" {
                continue;
            }
            let Ok(metadata) = entry.metadata() else { continue };
            if metadata.is_dir() {
                pending.push(entry.path());
            } else {
                files.push((entry.path(), metadata.len(), metadata.modified().ok()));
            }
        }
    }
    files.sort();
    files
}

/// The terminal in raw mode while it lives, as it was before once dropped.
struct Terminal {
    saved: Option<String>,
}

impl Terminal {
    fn raw() -> Self {
        if !std::io::stdin().is_terminal() {
            return Self { saved: None };
        }
        let saved = stty(&["-g"]).map(|settings| settings.trim().to_owned());
        if saved.is_some() {
            let _ = stty(&["-icanon", "-echo", "-isig", "min", "1", "time", "0"]);
            // Hide the cursor: the screen is redrawn, not typed into.
            print!("\x1b[?25l");
        }
        Self { saved }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = stty(&[saved.as_str()]);
            print!("\x1b[?25h");
            let _ = std::io::stdout().flush();
        }
    }
}

/// `stty ARGS` on this process's terminal, its output when it succeeds.
fn stty(args: &[&str]) -> Option<String> {
    let output = Command::new("stty")
        .args(args)
        .stdin(Stdio::inherit())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_message_is_cut_with_a_pointer_to_the_rest() {
        let long: String = (1..=30).map(|n| format!("line {n}\n")).collect();
        let shown = shorten(&long, Lang::En);
        assert_eq!(shown.lines().count(), MESSAGE_LINES + 1);
        assert!(shown.starts_with("    line 1\n"));
        assert!(
            shown.ends_with("… 10 more lines (`just check NN --verbose` shows them)"),
            "{shown}"
        );
    }

    #[test]
    fn a_snapshot_changes_when_a_file_is_saved_added_or_removed() {
        let folder = std::env::temp_dir().join(format!("pitlane-watch-{}", std::process::id()));
        std::fs::create_dir_all(folder.join("src")).unwrap();
        std::fs::write(folder.join("src/lib.rs"), "a").unwrap();
        let first = snapshot(&folder);
        assert_eq!(snapshot(&folder), first, "nothing changed");
        std::fs::write(folder.join("src/lib.rs"), "ab").unwrap();
        let saved = snapshot(&folder);
        assert_ne!(saved, first);
        std::fs::write(folder.join("src/new.rs"), "").unwrap();
        assert_ne!(snapshot(&folder), saved);
        std::fs::create_dir_all(folder.join("target")).unwrap();
        std::fs::write(folder.join("target/out"), "").unwrap();
        std::fs::remove_file(folder.join("src/new.rs")).unwrap();
        assert_eq!(snapshot(&folder), saved, "build output is not a save");
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
