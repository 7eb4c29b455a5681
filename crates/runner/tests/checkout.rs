//! The runner on a small workbook of its own, built in a temporary folder:
//! the generator and verify, a student's checkout, reset, hints, the watch
//! mode (through a pseudo-terminal), and a checkout that has been copied
//! elsewhere.
//!
//! The workbook has two days whose suites need no AWS, so each test builds
//! a few tiny crates in seconds (into the workbook's own `target/`).

mod support {
    pub mod pty;
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use support::pty::Screen;

const SOLUTION: &str = r#"//! # Day 01 — hello
//~!
//~! Work through the `TODO`, then run `just check 01`.

/// The greeting for `name`.
pub fn greet(name: &str) -> String {
    //~ TODO 1: greet `name` the way the tests expect.
    // solution: todo!("day 01: greet")
    format!("hello, {name}")
    // end solution
}
"#;

/// The solution with its markers taken out: what a student who solved the
/// day has in `days/`.
const SOLVED: &str = r#"//! # Day 01 — hello

/// The greeting for `name`.
pub fn greet(name: &str) -> String {
    format!("hello, {name}")
}
"#;

/// Day 02 builds on day 01, as the real days do: its solution depends on day
/// 01's solution, and so its starter on day 01's starter.
const SOLUTION_02: &str = r#"//! # Day 02 — twice

/// The greeting for `name`, twice.
pub fn greet_twice(name: &str) -> String {
    //~ TODO 1: greet twice, with day 01's `greet`.
    // solution: todo!("day 02: twice")
    let once = day01_hello_solution::greet(name);
    format!("{once} {once}")
    // end solution
}
"#;

const SUITE_02: &str = r#"#[test]
fn greets_twice() {
    assert_eq!(crate::sut::greet_twice("Ana"), "hello, Ana hello, Ana");
}
"#;

const SUITE: &str = r#"use crate::sut::greet;

#[test]
fn greets_the_world() {
    assert_eq!(greet("world"), "hello, world");
}

#[test]
fn greets_by_name() {
    assert_eq!(greet("Ana"), "hello, Ana");
}
"#;

/// Every day's hint file: three levels, and what the day taught.
const HINTS: &str = "# Hints\nTaught: greetings.\n\n## Level 1 — the concept\nGreetings.\n\n\
                     ## Level 2 — the types and methods\n`format!`.\n\n\
                     ## Level 3 — nearly the code\nHello, then the name.\n";

/// A workbook with one day, `day01-hello`, in a fresh temporary folder.
fn workbook(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("pitlane-runner-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let real = pitlane_testkit::workspace_root();
    let files: &[(&str, String)] = &[
        ("justfile", "# a test workbook\n".into()),
        (
            "Cargo.toml",
            "[workspace]\nresolver = \"3\"\nmembers = [\"days/*\", \"solutions/*\"]\n\n\
             [workspace.package]\nedition = \"2024\"\n\n\
             [workspace.dependencies]\n\
             day01-hello = { path = \"days/day01-hello\" }\n\
             day01-hello-solution = { path = \"solutions/day01-hello\" }\n\n\
             [workspace.lints.rust]\nunsafe_code = \"forbid\"\n"
                .into(),
        ),
        ("rustfmt.toml", read(&real.join("rustfmt.toml"))),
        ("rust-toolchain.toml", read(&real.join("rust-toolchain.toml"))),
        (
            "solutions/day01-hello/Cargo.toml",
            "[package]\nname = \"day01-hello-solution\"\ndescription = \"Day 01 (solution): hello.\"\n\
             version = \"0.1.0\"\nedition.workspace = true\npublish = false\n\n\
             [lib]\ntest = false\ndoctest = false\n\n\
             [[test]]\nname = \"day01\"\npath = \"tests/day01.rs\"\n\n\
             [lints]\nworkspace = true\n"
                .into(),
        ),
        ("solutions/day01-hello/src/lib.rs", SOLUTION.into()),
        (
            "solutions/day01-hello/tests/day01.rs",
            "use day01_hello_solution as sut;\n\n\
             #[path = \"../../../suites/day01-hello/mod.rs\"]\nmod suite;\n"
                .into(),
        ),
        ("suites/day01-hello/mod.rs", SUITE.into()),
        ("hints/day01-hello.md", HINTS.into()),
        (
            "solutions/day02-twice/Cargo.toml",
            "[package]\nname = \"day02-twice-solution\"\nversion = \"0.1.0\"\n\
             edition.workspace = true\npublish = false\n\n[lib]\ntest = false\ndoctest = false\n\n\
             [[test]]\nname = \"day02\"\npath = \"tests/day02.rs\"\n\n\
             [dependencies]\nday01-hello-solution.workspace = true\n\n[lints]\nworkspace = true\n"
                .into(),
        ),
        ("solutions/day02-twice/src/lib.rs", SOLUTION_02.into()),
        (
            "solutions/day02-twice/tests/day02.rs",
            "use day02_twice_solution as sut;\n\n\
             #[path = \"../../../suites/day02-twice/mod.rs\"]\nmod suite;\n"
                .into(),
        ),
        ("suites/day02-twice/mod.rs", SUITE_02.into()),
        ("hints/day02-twice.md", HINTS.into()),
        ("book/src/day02-twice.md", "# Day 02 — twice\n".into()),
        ("book/src/day01-hello.md", "# Day 01 — hello\n".into()),
    ];
    for (path, text) in files {
        write(&root.join(path), text);
    }
    // A checkout always has days/ (the starters `gen` writes): it is how the
    // runner knows a course folder.
    std::fs::create_dir_all(root.join("days")).unwrap();
    root
}

fn read(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()))
}

fn write(file: &Path, text: &str) {
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
}

/// `pitlane ARGS` run in `folder`, as a student would from there: no
/// `PITLANE_ROOT` or target folder inherited from this test's own run.
fn pitlane(folder: &Path, args: &[&str], ci: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pitlane"));
    command
        .args(args)
        .current_dir(folder)
        .env_remove("PITLANE_ROOT")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CI");
    if ci {
        command.env("CI", "true");
    }
    command.output().expect("running pitlane")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn verify_fails_naming_the_starter_when_a_solution_changed_without_gen() {
    let root = workbook("stale");
    let generated = pitlane(&root, &["gen"], false);
    assert!(generated.status.success(), "{}", text(&generated));
    let starter = read(&root.join("days/day02-twice/src/lib.rs"));
    assert!(starter.contains("day01_hello::greet") || starter.contains("todo!(\"day 02: twice\")"));
    let manifest = read(&root.join("days/day02-twice/Cargo.toml"));
    assert!(manifest.contains("day01-hello.workspace = true"), "{manifest}");
    let starter = read(&root.join("days/day01-hello/src/lib.rs"));
    assert!(
        starter.contains("    // TODO 1: greet `name`")
            && starter.contains("todo!(\"day 01: greet\")")
    );
    assert!(!starter.contains("format!") && !starter.contains("//~"), "{starter}");
    let manifest = read(&root.join("days/day01-hello/Cargo.toml"));
    assert!(manifest.contains("name = \"day01-hello\"\n"), "{manifest}");

    let verify = pitlane(&root, &["verify"], true);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("compiles, 0/2 pass "), "{}", text(&verify));
    assert!(text(&verify).contains("verify: 2 passed, 0 failed"), "{}", text(&verify));
    let packages = pitlane(&root, &["packages"], true);
    assert_eq!(packages.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count(), 4);

    // An author changes a doc comment in the solution and forgets `just gen`.
    let changed = SOLUTION.replace("/// The greeting for `name`.", "/// How to greet `name`.");
    write(&root.join("solutions/day01-hello/src/lib.rs"), &changed);
    let verify = pitlane(&root, &["verify"], true);
    assert!(!verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).contains("days/day01-hello/src/lib.rs is not what `just gen 01` makes"),
        "{}",
        text(&verify)
    );

    assert!(pitlane(&root, &["gen", "01"], false).status.success());
    assert!(read(&root.join("days/day01-hello/src/lib.rs")).contains("/// How to greet `name`."));
    let verify = pitlane(&root, &["verify"], true);
    assert!(verify.status.success(), "{}", text(&verify));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_solved_day_passes_verify_and_reset_brings_the_starter_back_keeping_the_students_file() {
    let root = workbook("student");
    assert!(pitlane(&root, &["gen"], false).status.success());
    let pristine = read(&root.join("days/day01-hello/src/lib.rs"));
    write(&root.join("days/day01-hello/src/lib.rs"), SOLVED);

    let check = pitlane(&root, &["check", "01"], false);
    assert!(check.status.success(), "{}", text(&check));
    // Outside CI the student's work is theirs: verify proves the generated
    // starter, built apart, still fails.
    let verify = pitlane(&root, &["verify"], false);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("compiles, 0/2 pass (pristine)"), "{}", text(&verify));
    // Day 02 builds on the student's day 01, so it is tested apart too, with
    // day 01's solution under it: and its own TODO still fails.
    assert!(text(&verify).contains("compiles, 0/1 pass (pristine)"), "{}", text(&verify));
    let packages = pitlane(&root, &["packages"], false);
    assert_eq!(
        String::from_utf8_lossy(&packages.stdout),
        "day01-hello-solution\nday02-twice-solution\n"
    );
    assert!(text(&packages).contains("leaving out days/day02-twice"), "{}", text(&packages));
    assert_eq!(read(&root.join("days/day01-hello/src/lib.rs")), SOLVED, "verify left it alone");
    // In CI a starter that differs from the generator's is a hand edit.
    let strict = pitlane(&root, &["verify"], true);
    assert!(!strict.status.success(), "{}", text(&strict));
    assert!(text(&strict).contains("is not what the generator wrote"), "{}", text(&strict));

    // A test of the student's own is their work too: verify still proves
    // the generated starter, and `just test` leaves the day out.
    write(&root.join("days/day01-hello/tests/mine.rs"), "#[test]\nfn mine() {}\n");
    let verify = pitlane(&root, &["verify"], false);
    assert!(verify.status.success(), "{}", text(&verify));
    let strict = pitlane(&root, &["verify"], true);
    assert!(text(&strict).contains("tests/mine.rs is not a file the generator makes"));

    let reset = pitlane(&root, &["reset", "01"], false);
    assert!(reset.status.success(), "{}", text(&reset));
    assert_eq!(read(&root.join("days/day01-hello/src/lib.rs")), pristine);
    let saved: Vec<PathBuf> = std::fs::read_dir(root.join(".pitlane/saved"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("days/day01-hello/src/lib.rs"))
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(read(&saved[0]), SOLVED);
    assert!(text(&reset).contains(".pitlane/saved/day01-hello-"), "{}", text(&reset));
    assert!(!root.join("days/day01-hello/tests/mine.rs").exists(), "cargo would still compile it");

    // `just gen`, an author's command, saves a student's work the same way.
    write(&root.join("days/day01-hello/src/lib.rs"), SOLVED);
    let generated = pitlane(&root, &["gen", "01"], false);
    assert!(text(&generated).contains("held work of your own; saved in"), "{}", text(&generated));
    assert_eq!(read(&root.join("days/day01-hello/src/lib.rs")), pristine);
    assert_eq!(std::fs::read_dir(root.join(".pitlane/saved")).unwrap().count(), 2);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_copied_checkout_tests_itself_not_the_folder_it_was_built_in() {
    let first = workbook("first");
    assert!(pitlane(&first, &["gen"], false).status.success());
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
    assert!(pitlane(&root, &["gen"], false).status.success());
    // A checkout has its Cargo.lock, which the verdicts' fingerprint covers:
    // without one, the first build would write it and change the fingerprint.
    let locked = Command::new("cargo").arg("generate-lockfile").current_dir(&root).status();
    assert!(locked.unwrap().success());
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
