//! A small workbook of its own, built in a temporary folder, for the tests
//! of the student's runner (`crates/runner/tests/checkout.rs`) and of the
//! authors' xtask (`crates/xtask/tests/checkout.rs`, which includes this file).
//!
//! The workbook has two days whose suites need no AWS, so each test builds
//! a few tiny crates in seconds (into the workbook's own `target/`).

#![allow(dead_code)] // each test file uses its share

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pitlane_course::{Workspace, generate};

pub const SOLUTION: &str = r#"//! # Day 01 — hello
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
pub const SOLVED: &str = r#"//! # Day 01 — hello

/// The greeting for `name`.
pub fn greet(name: &str) -> String {
    format!("hello, {name}")
}
"#;

/// Day 02's starter, solved: it builds on day 01's starter, as in `days/`.
pub const SOLVED_02: &str = r#"/// The greeting for `name`, twice.
pub fn greet_twice(name: &str) -> String {
    let once = day01_hello::greet(name);
    format!("{once} {once}")
}
"#;

/// Day 02 builds on day 01, as the real days do: its solution depends on day
/// 01's solution, and so its starter on day 01's starter.
pub const SOLUTION_02: &str = r#"//! # Day 02 — twice

/// The greeting for `name`, twice.
pub fn greet_twice(name: &str) -> String {
    //~ TODO 1: greet twice, with day 01's `greet`.
    // solution: todo!("day 02: twice")
    let once = day01_hello_solution::greet(name);
    format!("{once} {once}")
    // end solution
}
"#;

pub const SUITE_02: &str = r#"#[test]
fn greets_twice() {
    assert_eq!(crate::sut::greet_twice("Ana"), "hello, Ana hello, Ana");
}
"#;

pub const SUITE: &str = r#"use crate::sut::greet;

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
pub const HINTS: &str = "# Hints\nTaught: greetings.\n\n## Level 1 — the concept\nGreetings.\n\n\
                     ## Level 2 — the types and methods\n`format!`.\n\n\
                     ## Level 3 — nearly the code\nHello, then the name.\n";

/// Day 01's hints in Spanish (day 02 has none: its English ones stand in).
pub const HINTS_ES: &str = "# Pistas\nAprendiste: saludos.\n\n## Nivel 1 — el concepto\nSaludos.\n\n\
                            ## Nivel 2 — los tipos y métodos\n`format!`.\n\n\
                            ## Nivel 3 — casi el código\nHola, y el nombre.\n";

/// The book's Spanish catalogue: day 01's title.
pub const CATALOGUE_ES: &str = r#"msgid ""
msgstr ""
"Project-Id-Version: test\n"
"POT-Creation-Date: 2026-12-07T00:00:00Z\n"
"PO-Revision-Date: \n"
"Last-Translator: \n"
"Language-Team: \n"
"MIME-Version: 1.0\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Content-Transfer-Encoding: 8bit\n"
"Language: es\n"
"Plural-Forms: nplurals=1; plural=0;\n"

msgid "Day 01 — hello"
msgstr "Día 01 — hola"
"#;

/// A workbook with one day, `day01-hello`, in a fresh temporary folder.
pub fn workbook(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("pitlane-runner-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    // The real checkout, for its rustfmt and toolchain settings.
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
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
        ("hints/es/day01-hello.md", HINTS_ES.into()),
        ("book/po/es.po", CATALOGUE_ES.into()),
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

pub fn read(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()))
}

pub fn write(file: &Path, text: &str) {
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
}

/// `PROGRAM ARGS` (the runner, or the authors' xtask) run in `folder`, as a
/// student or an author would from there: no `PITLANE_ROOT` or target folder
/// inherited from this test's own run.
pub fn run(program: &str, folder: &Path, args: &[&str], ci: bool) -> Output {
    // English, whatever this machine's locale.
    run_in(program, folder, args, ci, &[("PITLANE_LANG", "en")])
}

/// [`run`] with a language environment of its own (`LANG`,
/// `PITLANE_LANG`…), and no other locale variable inherited.
pub fn run_in(
    program: &str,
    folder: &Path,
    args: &[&str],
    ci: bool,
    language: &[(&str, &str)],
) -> Output {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(folder)
        .env_remove("PITLANE_ROOT")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CI");
    for variable in ["PITLANE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
        command.env_remove(variable);
    }
    command.envs(language.iter().copied());
    if ci {
        command.env("CI", "true");
    }
    command.output().unwrap_or_else(|e| panic!("running {program}: {e}"))
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Writes the workbook's Cargo.lock, as a checkout has one: the verdicts'
/// fingerprint covers it, and without one the first build would write it
/// and change the fingerprint.
pub fn lock(root: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let locked = Command::new(cargo)
        .args(["generate-lockfile", "--offline"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(locked.success());
}

/// `just gen` on the workbook, through the course's model (the authors'
/// command is xtask's; these tests need only its starters).
pub fn generate_starters(root: &Path) {
    let workspace = Workspace::at(root.canonicalize().unwrap());
    let days = workspace.days().unwrap();
    let all: Vec<_> = days.iter().collect();
    generate::write_starters(&workspace, &all, &days).unwrap();
}
