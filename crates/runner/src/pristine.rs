//! A scratch workspace for a day's *pristine* starter.
//!
//! `pitlane verify` proves that every starter, as generated, fails its suite.
//! In a student's checkout `days/` holds the student's work, which may well
//! pass. Verify then builds the generated starter in `.pitlane/pristine/`, a
//! cargo workspace of its own that holds just that starter:
//!
//! - its dependencies are the checkout's crates (by absolute path), with one
//!   difference: an earlier day's *starter* is replaced by that day's
//!   *solution* (`package = "...-solution"`), so the day is tested as a
//!   student meets it, with the days before it done;
//! - it builds into the checkout's `target/`, with the checkout's
//!   `Cargo.lock` and profiles, so the compiled dependencies are reused;
//! - its suite is the checkout's `suites/` file, by absolute path, so the
//!   snapshots and fixtures are the same;
//! - its package, library and binaries are renamed `…-pristine` (the test
//!   binary keeps its name, which the snapshots are named after): they build
//!   into the same `target/`, and must not overwrite the student's
//!   `target/debug/create-stream` and the like.
//!
//! Nothing in `days/` is read or written.

use std::path::{Path, PathBuf};

use crate::days::{Day, Workspace};
use crate::generate::StarterFile;

/// The scratch workspace's folder, relative to the root.
pub const FOLDER: &str = ".pitlane/pristine";

/// The name of `day`'s pristine package in the scratch workspace.
pub fn package(day: &Day) -> String {
    format!("{}-pristine", day.starter_package())
}

/// Writes the pristine starters of `selected` (each day with its generated
/// files) into the scratch workspace, and returns the workspace's folder.
pub fn prepare(
    workspace: &Workspace,
    days: &[Day],
    selected: &[(&Day, &[StarterFile])],
) -> Result<PathBuf, String> {
    let folder = workspace.root.join(FOLDER);
    let members = folder.join("days");
    if members.exists() {
        std::fs::remove_dir_all(&members)
            .map_err(|e| format!("clearing {}: {e}", members.display()))?;
    }
    std::fs::create_dir_all(&members)
        .map_err(|e| format!("creating {}: {e}", members.display()))?;
    let manifest = std::fs::read_to_string(workspace.root.join("Cargo.toml"))
        .map_err(|e| format!("reading Cargo.toml: {e}"))?;
    write(&folder.join("Cargo.toml"), &scratch_manifest(&manifest, &workspace.root, days))?;
    // The same versions of every dependency as the checkout: cargo updates
    // the path packages in this copy and keeps everything else.
    let lock = workspace.root.join("Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, folder.join("Cargo.lock"))
            .map_err(|e| format!("copying {}: {e}", lock.display()))?;
    }
    let suites = format!("\"{}/suites/", workspace.root.display());
    for (day, files) in selected {
        let library = day.starter_package().replace('-', "_");
        for file in *files {
            let relative = file.path.strip_prefix("days").expect("starter files are under days/");
            let text = if relative.ends_with("Cargo.toml") {
                pristine_manifest(&file.text, &day.starter_package())
            } else {
                file.text
                    .replace("\"../../../suites/", &suites)
                    .replace(&library, &format!("{library}_pristine"))
            };
            write(&members.join(relative), &text)?;
        }
    }
    Ok(folder)
}

/// The starter's `Cargo.toml` with its package and binaries renamed
/// `…-pristine`; its test targets keep their names.
fn pristine_manifest(manifest: &str, package: &str) -> String {
    let mut out = String::new();
    let mut section = String::new();
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let renamed = (section == "[package]" || section == "[[bin]]")
            && trimmed.starts_with("name")
            && trimmed.ends_with('"');
        if renamed {
            out.push_str(&format!("{}-pristine\"", trimmed.trim_end_matches('"')));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    debug_assert!(out.contains(&format!("\"{package}-pristine\"")));
    out
}

fn write(file: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(file, text).map_err(|e| format!("writing {}: {e}", file.display()))
}

/// The checkout's `Cargo.toml` for the scratch workspace: its only members
/// are the pristine starters, every path is absolute, and an earlier day's
/// starter is its solution.
fn scratch_manifest(manifest: &str, root: &Path, days: &[Day]) -> String {
    let root = root.display().to_string();
    let mut out = String::from(
        "# Written by `pitlane verify` for a pristine starter: see crates/runner/src/pristine.rs.\n",
    );
    for line in manifest.lines() {
        let trimmed = line.trim_start();
        let line = if trimmed.starts_with("members") && trimmed.contains('=') {
            "members = [\"days/*\"]".to_owned()
        } else if let Some(day) = days.iter().find(|day| {
            trimmed.starts_with(&format!("{} = ", day.starter_package()))
                && trimmed.contains(&format!("path = \"days/{}\"", day.slug))
        }) {
            format!(
                "{} = {{ path = \"{root}/solutions/{}\", package = \"{}\" }}",
                day.starter_package(),
                day.slug,
                day.solution_package()
            )
        } else {
            line.replace("path = \"", &format!("path = \"{root}/"))
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pristine_package_and_its_binaries_are_renamed_but_not_its_tests() {
        let manifest = "[package]\nname = \"day01-x\"\n\n[[bin]]\nname = \"tail\"\n\n\
                        [[test]]\nname = \"day01\"\n\n[dependencies]\nday00-y.workspace = true\n";
        assert_eq!(
            pristine_manifest(manifest, "day01-x"),
            "[package]\nname = \"day01-x-pristine\"\n\n[[bin]]\nname = \"tail-pristine\"\n\n\
             [[test]]\nname = \"day01\"\n\n[dependencies]\nday00-y.workspace = true\n"
        );
    }

    #[test]
    fn the_scratch_manifest_points_at_the_checkout_and_at_earlier_solutions() {
        let manifest = "\
[workspace]
members = [\"bench\", \"crates/*\", \"days/*\", \"solutions/*\"]

[workspace.dependencies]
serde = \"1\"
pitlane = { path = \"crates/pitlane\" }
day07-votes = { path = \"days/day07-votes\" }
day07-votes-solution = { path = \"solutions/day07-votes\" }

[profile.dev]
debug = \"line-tables-only\"
";
        let days = [Day::for_tests("/w", "day07-votes")];
        let scratch = scratch_manifest(manifest, Path::new("/w"), &days);
        assert!(scratch.contains("members = [\"days/*\"]\n"), "{scratch}");
        assert!(scratch.contains("serde = \"1\"\n"), "{scratch}");
        assert!(scratch.contains("pitlane = { path = \"/w/crates/pitlane\" }\n"), "{scratch}");
        assert!(scratch.contains(
            "day07-votes = { path = \"/w/solutions/day07-votes\", package = \"day07-votes-solution\" }\n"
        ));
        assert!(
            scratch.contains("day07-votes-solution = { path = \"/w/solutions/day07-votes\" }\n")
        );
        assert!(scratch.contains("[profile.dev]\ndebug = \"line-tables-only\"\n"), "{scratch}");
    }
}
