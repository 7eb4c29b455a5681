//! The authors' xtask on a small workbook of its own, built in a temporary
//! folder (the runner's `tests/support/workbook.rs`, shared): the generator,
//! verify (in CI and in a student's checkout) and the packages `just test`
//! builds.

#[path = "../../runner/tests/support/workbook.rs"]
mod workbook;

use std::path::{Path, PathBuf};
use std::process::Output;

use workbook::{SOLUTION, SOLVED, read, text, workbook, write};

/// The test workbook with every day's Spanish hints, as verify wants them
/// (the runner's tests leave day 02's out, to see the English stand in).
fn complete_workbook(name: &str) -> PathBuf {
    let root = workbook(&format!("authors-{name}"));
    write(&root.join("hints/es/day02-twice.md"), workbook::HINTS_ES);
    root
}

/// `xtask ARGS` run in `folder`, as an author would from there.
fn xtask(folder: &Path, args: &[&str], ci: bool) -> Output {
    workbook::run(env!("CARGO_BIN_EXE_xtask"), folder, args, ci)
}

#[test]
fn verify_fails_naming_the_starter_when_a_solution_changed_without_gen() {
    let root = complete_workbook("stale");
    let generated = xtask(&root, &["gen"], false);
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

    let verify = xtask(&root, &["verify"], true);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("compiles, 0/2 pass "), "{}", text(&verify));
    assert!(text(&verify).contains("verify: 2 passed, 0 failed"), "{}", text(&verify));
    let packages = xtask(&root, &["packages"], true);
    assert_eq!(packages.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count(), 4);

    // A day without its hints in Spanish is not finished either.
    let spanish = root.join("hints/es/day02-twice.md");
    std::fs::remove_file(&spanish).unwrap();
    let verify = xtask(&root, &["verify"], true);
    assert!(!verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("hints/es/day02-twice.md is missing (the hints in Spanish)"));
    let two_levels = workbook::HINTS_ES.split("## Nivel 3").next().unwrap();
    write(&spanish, two_levels);
    let verify = xtask(&root, &["verify"], true);
    assert!(!verify.status.success(), "{}", text(&verify));
    let said = text(&verify);
    assert!(
        said.contains("day02-twice.md has 2 level(s) and 1 `Aprendiste:` line, not 3 and 1"),
        "{said}"
    );
    write(&spanish, workbook::HINTS_ES);

    // An author changes a doc comment in the solution and forgets `just gen`.
    let changed = SOLUTION.replace("/// The greeting for `name`.", "/// How to greet `name`.");
    write(&root.join("solutions/day01-hello/src/lib.rs"), &changed);
    let verify = xtask(&root, &["verify"], true);
    assert!(!verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).contains("days/day01-hello/src/lib.rs is not what `just gen 01` makes"),
        "{}",
        text(&verify)
    );

    assert!(xtask(&root, &["gen", "01"], false).status.success());
    assert!(read(&root.join("days/day01-hello/src/lib.rs")).contains("/// How to greet `name`."));
    let verify = xtask(&root, &["verify"], true);
    assert!(verify.status.success(), "{}", text(&verify));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_solved_day_passes_verify_and_gen_brings_the_starter_back_keeping_the_students_files() {
    let root = complete_workbook("student");
    assert!(xtask(&root, &["gen"], false).status.success());
    let pristine = read(&root.join("days/day01-hello/src/lib.rs"));
    write(&root.join("days/day01-hello/src/lib.rs"), SOLVED);

    // Outside CI the student's work is theirs: verify proves the generated
    // starter, built apart, still fails.
    let verify = xtask(&root, &["verify"], false);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("compiles, 0/2 pass (pristine)"), "{}", text(&verify));
    // Day 02 builds on the student's day 01, so it is tested apart too, with
    // day 01's solution under it: and its own TODO still fails.
    assert!(text(&verify).contains("compiles, 0/1 pass (pristine)"), "{}", text(&verify));
    let packages = xtask(&root, &["packages"], false);
    assert_eq!(
        String::from_utf8_lossy(&packages.stdout),
        "day01-hello-solution\nday02-twice-solution\n"
    );
    assert!(text(&packages).contains("leaving out days/day02-twice"), "{}", text(&packages));
    assert_eq!(read(&root.join("days/day01-hello/src/lib.rs")), SOLVED, "verify left it alone");
    // In CI a starter that differs from the generator's is a hand edit.
    let strict = xtask(&root, &["verify"], true);
    assert!(!strict.status.success(), "{}", text(&strict));
    assert!(text(&strict).contains("is not what the generator wrote"), "{}", text(&strict));

    // A test of the student's own is their work too: verify still proves
    // the generated starter, and `just test` leaves the day out.
    write(&root.join("days/day01-hello/tests/mine.rs"), "#[test]\nfn mine() {}\n");
    let verify = xtask(&root, &["verify"], false);
    assert!(verify.status.success(), "{}", text(&verify));
    let strict = xtask(&root, &["verify"], true);
    assert!(text(&strict).contains("tests/mine.rs is not a file the generator makes"));

    // `just gen`, an author's command, saves a student's work as `just
    // reset` does (crates/runner/tests/checkout.rs) before writing the starter.
    let generated = xtask(&root, &["gen", "01"], false);
    assert!(
        text(&generated).contains("2 file(s) held work of your own; saved in"),
        "{}",
        text(&generated)
    );
    assert_eq!(read(&root.join("days/day01-hello/src/lib.rs")), pristine);
    assert!(!root.join("days/day01-hello/tests/mine.rs").exists(), "cargo would still compile it");
    let saved: Vec<PathBuf> = std::fs::read_dir(root.join(".pitlane/saved"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("days/day01-hello/src/lib.rs"))
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(read(&saved[0]), SOLVED);
    std::fs::remove_dir_all(&root).unwrap();
}
