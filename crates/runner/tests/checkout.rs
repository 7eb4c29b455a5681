//! The student's runner on a small workbook of its own, built in a temporary
//! folder (`support/workbook.rs`): check, reset, hints, the watch mode
//! (through a pseudo-terminal), and a checkout that has been copied
//! elsewhere. The authors' commands (gen, verify, packages) are tested in
//! `crates/xtask/tests/checkout.rs`, on the same workbook.

mod support {
    pub mod pty;
    pub mod workbook;
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use support::pty::Screen;
use support::workbook::{self, SOLVED, SOLVED_02, read, text, workbook, write};

/// `pitlane ARGS` run in `folder`, as a student would from there.
fn pitlane(folder: &Path, args: &[&str], ci: bool) -> Output {
    workbook::run(env!("CARGO_BIN_EXE_pitlane"), folder, args, ci)
}

/// `pitlane ARGS` with the language environment `language`.
fn pitlane_in(folder: &Path, args: &[&str], language: &[(&str, &str)]) -> Output {
    workbook::run_in(env!("CARGO_BIN_EXE_pitlane"), folder, args, false, language)
}

#[test]
fn the_runner_speaks_the_students_language() {
    let root = workbook("language");
    workbook::generate_starters(&root);
    let spanish = [("LANG", "es_AR.UTF-8")];
    let check = pitlane_in(&root, &["check", "01"], &spanish);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let said = text(&check);
    assert!(
        said.contains("── día 01 · hola · day01-hello · en "),
        "the title from the book's catalogue: {said}"
    );
    assert!(
        said.contains("❌ día 01: fallan 2 de 2 pruebas. La primera prueba que falla es suite::"),
        "{said}"
    );
    assert!(
        said.contains("not yet implemented: day 01: greet"),
        "the panic stays as Rust says it: {said}"
    );
    assert!(
        said.contains("¿Te atascaste? `just hint 01` da el nivel 1 de 3: el concepto."),
        "{said}"
    );
    assert!(
        said.contains("Capítulo: book/build/es/day01-hello.html"),
        "the Spanish edition: {said}"
    );

    let hint = text(&pitlane_in(&root, &["hint", "01"], &[("PITLANE_LANG", "es")]));
    assert!(
        hint.contains("── día 01 · pista, nivel 1 de 3: el concepto ──")
            && hint.contains("Saludos.")
    );
    let other = text(&pitlane_in(&root, &["hint", "02"], &[("PITLANE_LANG", "es")]));
    assert!(
        other.contains("pista, nivel 1 de 3: the concept") && other.contains("Greetings."),
        "{other}"
    );

    // PITLANE_LANG wins over the locale, both ways.
    let english =
        text(&pitlane_in(&root, &["check", "01"], &[("LANG", "es_MX"), ("PITLANE_LANG", "en")]));
    assert!(english.contains("❌ day 01: 2 of 2 tests fail."), "{english}");
    let list = text(&pitlane_in(&root, &["list"], &[("LC_ALL", "es_ES.UTF-8")]));
    assert_eq!(list, "01  hola\n02  twice\n", "a day without a Spanish title keeps its own");
    let wrong = pitlane_in(&root, &["hint", "01", "4"], &spanish);
    assert!(
        text(&wrong).contains("el día 01 tiene niveles de pista del 1 al 3, no 4"),
        "{}",
        text(&wrong)
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_solved_day_passes_and_reset_brings_the_starter_back_keeping_the_students_files() {
    let root = workbook("student");
    workbook::generate_starters(&root);
    let pristine = read(&root.join("days/day01-hello/src/lib.rs"));
    let check = pitlane(&root, &["check", "01"], false);
    assert_eq!(check.status.code(), Some(1), "not finished yet: {}", text(&check));
    assert!(text(&check).contains("not yet implemented: day 01: greet"), "{}", text(&check));

    write(&root.join("days/day01-hello/src/lib.rs"), SOLVED);
    let check = pitlane(&root, &["check", "01", "--verbose"], false);
    assert!(check.status.success(), "{}", text(&check));
    assert!(text(&check).contains("test suite::greets_by_name ... ok"), "cargo's own lines");
    let only = pitlane(&root, &["check", "01", "by_name"], false);
    assert!(
        text(&only).contains("the 1 test(s) of day 01 matching `by_name` pass"),
        "{}",
        text(&only)
    );

    // A test of the student's own is their work too: reset saves it, then
    // removes it (cargo would still compile it).
    write(&root.join("days/day01-hello/tests/mine.rs"), "#[test]\nfn mine() {}\n");
    let reset = pitlane(&root, &["reset", "01"], false);
    assert!(reset.status.success(), "{}", text(&reset));
    assert_eq!(read(&root.join("days/day01-hello/src/lib.rs")), pristine);
    let saved: Vec<PathBuf> = std::fs::read_dir(root.join(".pitlane/saved"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(read(&saved[0].join("days/day01-hello/src/lib.rs")), SOLVED);
    assert!(saved[0].join("days/day01-hello/tests/mine.rs").is_file());
    assert!(text(&reset).contains(".pitlane/saved/day01-hello-"), "{}", text(&reset));
    assert!(!root.join("days/day01-hello/tests/mine.rs").exists(), "cargo would still compile it");

    let again = pitlane(&root, &["reset", "01"], false);
    assert!(text(&again).contains("already as generated; nothing changed"), "{}", text(&again));
    let wrong = pitlane(&root, &["check", "7x"], false);
    assert_eq!(wrong.status.code(), Some(2), "a bad day number is the command's error");
    assert!(text(&wrong).contains("\"7x\" is not a day number (try 01)"), "{}", text(&wrong));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn progress_shows_every_day_and_runs_only_the_suites_whose_code_changed() {
    let root = workbook("progress");
    workbook::generate_starters(&root);
    workbook::lock(&root);
    let progress = |args: &[&str]| {
        let output = pitlane(&root, args, false);
        let (out, err) = (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        );
        (output.status.code(), out, err)
    };
    let ran = |err: &str, day: &str| err.contains(&format!("day {day}: its tests run again"));

    // Nothing started: no suite runs, and day 01 is next.
    let (code, out, err) = progress(&["progress", "--cached"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("·  day 01  hello  not started  ← next"), "{out}");
    assert!(out.contains("·  day 02  twice  not started\n"), "{out}");

    // Day 01 solved: `--cached` asks for a run (the justfile then starts the
    // backend); the run names the suite it runs; the next answer is remembered.
    write(&root.join("days/day01-hello/src/lib.rs"), SOLVED);
    assert_eq!(progress(&["progress", "--cached"]).0, Some(3));
    let (code, out, err) = progress(&["progress"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("✅ day 01  hello  2 tests pass"), "{out}");
    assert!(out.contains("·  day 02  twice  not started  ← next"), "{out}");
    assert!(ran(&err, "01") && !ran(&err, "02"), "{err}");
    let (_, again, err) = progress(&["progress", "--cached"]);
    assert_eq!((again.as_str(), err.as_str()), (out.as_str(), ""), "from the cache, silently");

    // Day 02 solved too: only its suite runs.
    write(&root.join("days/day02-twice/src/lib.rs"), SOLVED_02);
    let (code, out, err) = progress(&["progress"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("✅ day 02  twice  1 test passes") && out.contains("🏁"), "{out}");
    assert!(ran(&err, "02") && !ran(&err, "01"), "{err}");

    // An edit to day 01 is an edit to what day 02 builds on: both run. An
    // edit to day 02 leaves day 01's verdict standing.
    write(&root.join("days/day01-hello/src/lib.rs"), &format!("{SOLVED}// an edit\n"));
    let (code, _, err) = progress(&["progress"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(ran(&err, "01") && ran(&err, "02"), "{err}");
    write(&root.join("days/day02-twice/src/lib.rs"), &format!("{SOLVED_02}// an edit\n"));
    let (code, _, err) = progress(&["progress"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(ran(&err, "02") && !ran(&err, "01"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_copied_checkout_tests_itself_not_the_folder_it_was_built_in() {
    let first = workbook("first");
    workbook::generate_starters(&first);
    let check = pitlane(&first, &["check", "01"], false);
    assert!(!check.status.success(), "the starter fails: {}", text(&check));

    // Copy the built checkout (its target/ included) and solve the copy.
    let second = first.with_file_name(format!("{}-copy", first.file_name().unwrap().display()));
    let _ = std::fs::remove_dir_all(&second);
    let copied = Command::new("cp").arg("-a").arg(&first).arg(&second).status().unwrap();
    assert!(copied.success());
    write(&second.join("days/day01-hello/src/lib.rs"), SOLVED);

    let in_copy = pitlane(&second.join("days/day01-hello/src"), &["check", "01"], false);
    assert!(in_copy.status.success(), "{}", text(&in_copy));
    let canonical = second.canonicalize().unwrap();
    assert!(text(&in_copy).contains(&format!("in {}", canonical.display())), "{}", text(&in_copy));
    assert!(!pitlane(&first, &["check", "01"], false).status.success(), "the first is untouched");
    std::fs::remove_dir_all(&first).unwrap();
    std::fs::remove_dir_all(&second).unwrap();
}

#[test]
fn each_hint_asked_for_gives_the_next_level_and_the_level_reached_is_kept() {
    let root = workbook("hints");
    let levels: Vec<String> =
        (0..4).map(|_| text(&pitlane(&root, &["hint", "01"], false))).collect();
    assert!(levels[0].contains("level 1 of 3: the concept") && levels[0].contains("Greetings."));
    assert!(!levels[0].contains("format!"), "level 1 gives no method away: {}", levels[0]);
    assert!(levels[1].contains("level 2 of 3") && levels[1].contains("`format!`"), "{}", levels[1]);
    assert!(levels[2].contains("level 3 of 3") && levels[2].contains("the last level"));
    assert_eq!(levels[3], levels[2], "past the last level, the last one again");
    assert_eq!(read(&root.join(".pitlane/hints")), "day01-hello 3\n");

    let again = text(&pitlane(&root, &["hint", "01", "1"], false));
    assert!(again.contains("level 1 of 3"), "{again}");
    assert_eq!(read(&root.join(".pitlane/hints")), "day01-hello 3\n", "re-reading keeps the level");
    let other = text(&pitlane(&root, &["hint", "02"], false));
    assert!(other.contains("day 02 · hint level 1 of 3"), "each day has its own level: {other}");
    assert_eq!(read(&root.join(".pitlane/hints")), "day01-hello 3\nday02-twice 1\n");

    let wrong = pitlane(&root, &["hint", "01", "4"], false);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong).contains("hint levels 1 to 3, not 4"), "{}", text(&wrong));
    std::fs::remove_dir_all(&root).unwrap();
}

/// `just watch` as a student meets it, through a pseudo-terminal: the screen
/// after each key, a save that solves the day, and the terminal as it was
/// once it quits.
#[test]
fn watch_redraws_on_every_save_and_answers_each_key() {
    let root = workbook("watch");
    workbook::generate_starters(&root);
    workbook::lock(&root);
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(
            "echo \"before $(stty -g)\"; '{}' watch 01; echo; echo \"exit $?\"; echo \"after $(stty -g)\"",
            env!("CARGO_BIN_EXE_pitlane")
        ))
        .current_dir(&root)
        .env_remove("PITLANE_ROOT")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CI")
        .env("PITLANE_WATCH_POLL_MS", "100");
    let mut screen = Screen::spawn(command, Duration::from_secs(120));
    let before = screen.expect_line("before ");
    screen.expect("Pitlane · day 01 — hello");
    screen.expect("0 of 2 tests pass.");
    screen.expect("The first failure, the test suite::greets_the_world:");
    screen.expect("not yet implemented: day 01: greet");

    // One `h` only offers a hint (a stray key spends no level); a second
    // shows level 1.
    screen.press('h');
    screen.expect("h again shows it");
    screen.press('h');
    screen.expect("hint level 1 of 3: the concept");
    screen.expect("Greetings.");
    screen.expect("h again: level 2");
    screen.press('n');
    screen.expect("Day 01 is not solved yet");
    screen.press('l');
    screen.expect("❌ day 01  hello  ← watching");
    screen.expect("day 02  twice");

    write(&root.join("days/day01-hello/src/lib.rs"), SOLVED);
    screen.expect("⏳ running the tests");
    screen.expect("✅ Day 01 passes: 2 of 2 tests.");
    screen.expect("It taught: greetings.");
    screen.expect("Next: day 02 — twice: press n.");
    screen.expect("✅ day 01  hello  ← watching"); // the list stays open, and is current

    screen.press('n');
    screen.expect("Pitlane · day 02 — twice");
    screen.expect("0 of 1 tests pass.");
    let mine = root.join("days/day02-twice/src/lib.rs");
    write(&mine, &(read(&mine) + "// mine\n"));
    screen.expect("⏳ running the tests");
    screen.expect("0 of 1 tests pass.");
    screen.press('r');
    screen.expect("Reset day 02 to its starter?");
    screen.press('y');
    screen.expect("Your files of day 02 are saved in");
    assert!(!read(&mine).contains("// mine"), "the starter is back");

    screen.press('q');
    let (status, after) = screen.finish();
    assert!(status.success() && after.contains("exit 0"), "q quits cleanly: {after}");
    assert!(
        after.contains(&format!("after {before}")),
        "the terminal's settings are back as they were ({before}): {after}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
