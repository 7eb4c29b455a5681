//! A scratch workspace for a day's *pristine* starter.
//!
//! `xtask verify` proves that every starter, as generated, fails its suite.
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

use anyhow::{Context, Result};
use pitlane_course::generate::StarterFile;
use pitlane_course::{Day, Workspace};
use toml_edit::{DocumentMut, Item};

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
) -> Result<PathBuf> {
    let folder = workspace.root.join(FOLDER);
    let members = folder.join("days");
    if members.exists() {
        std::fs::remove_dir_all(&members)
            .with_context(|| format!("clearing {}", members.display()))?;
    }
    std::fs::create_dir_all(&members).with_context(|| format!("creating {}", members.display()))?;
    let manifest =
        std::fs::read_to_string(workspace.root.join("Cargo.toml")).context("reading Cargo.toml")?;
    write(&folder.join("Cargo.toml"), &scratch_manifest(&manifest, &workspace.root, days)?)?;
    // The same versions of every dependency as the checkout: cargo updates
    // the path packages in this copy and keeps everything else.
    let lock = workspace.root.join("Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, folder.join("Cargo.lock"))
            .with_context(|| format!("copying {}", lock.display()))?;
    }
    let suites = format!("\"{}/suites/", workspace.root.display());
    for (day, files) in selected {
        let library = day.starter_package().replace('-', "_");
        for file in *files {
            let relative = file.path.strip_prefix("days").expect("starter files are under days/");
            let text = if relative.ends_with("Cargo.toml") {
                pristine_manifest(&file.text, &file.path)?
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
fn pristine_manifest(manifest: &str, source: &Path) -> Result<String> {
    let mut manifest: DocumentMut =
        manifest.parse().with_context(|| format!("{}: not TOML", source.display()))?;
    if let Some(package) = manifest.get_mut("package").and_then(Item::as_table_like_mut) {
        rename(package);
    }
    if let Some(binaries) = manifest.get_mut("bin").and_then(Item::as_array_of_tables_mut) {
        binaries.iter_mut().for_each(|binary| rename(binary));
    }
    Ok(manifest.to_string())
}

/// `name = "x"` → `name = "x-pristine"`, as it was written otherwise.
fn rename(table: &mut dyn toml_edit::TableLike) {
    if let Some(name) = table.get_mut("name").and_then(Item::as_value_mut)
        && let Some(text) = name.as_str()
    {
        let decor = name.decor().clone();
        *name = format!("{text}-pristine").into();
        *name.decor_mut() = decor;
    }
}

fn write(file: &Path, text: &str) -> Result<()> {
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(file, text).with_context(|| format!("writing {}", file.display()))
}

/// The checkout's `Cargo.toml` for the scratch workspace: its only members
/// are the pristine starters, every dependency's path is absolute, and an
/// earlier day's starter is its solution.
fn scratch_manifest(manifest: &str, root: &Path, days: &[Day]) -> Result<String> {
    let mut manifest: DocumentMut = manifest.parse().context("Cargo.toml: not TOML")?;
    let workspace = manifest
        .get_mut("workspace")
        .and_then(Item::as_table_like_mut)
        .context("Cargo.toml has no [workspace]")?;
    workspace.insert("members", toml_edit::value(toml_edit::Array::from_iter(["days/*"])));
    let dependencies = workspace
        .get_mut("dependencies")
        .and_then(Item::as_table_like_mut)
        .into_iter()
        .flat_map(|table| table.iter_mut());
    for (name, dependency) in dependencies {
        let Some(dependency) = dependency.as_table_like_mut() else { continue };
        let Some(path) = dependency.get("path").and_then(Item::as_str).map(str::to_owned) else {
            continue;
        };
        let day = days.iter().find(|day| {
            name.get() == day.starter_package() && path == format!("days/{}", day.slug)
        });
        match day {
            Some(day) => {
                let solution = format!("{}/solutions/{}", root.display(), day.slug);
                dependency.insert("path", toml_edit::value(solution));
                dependency.insert("package", toml_edit::value(day.solution_package()));
            }
            None => {
                dependency.insert("path", toml_edit::value(format!("{}/{path}", root.display())));
            }
        }
    }
    Ok(format!(
        "# Written by `xtask verify` for a pristine starter: see crates/xtask/src/pristine.rs.\n{manifest}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pristine_package_and_its_binaries_are_renamed_but_not_its_tests() {
        let manifest = "[package]\nname = \"day01-x\"\n\n[[bin]]\nname = \"tail\"\n\n\
                        [[test]]\nname = \"day01\"\n\n[dependencies]\nday00-y.workspace = true\n";
        assert_eq!(
            pristine_manifest(manifest, Path::new("x")).unwrap(),
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
        let scratch = scratch_manifest(manifest, Path::new("/w"), &days).unwrap();
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
