//! `xtask packages`: the workspace's packages for `just test`'s cargo
//! steps (build, format, clippy), one per line, **without the starters that
//! hold a student's work**.
//!
//! A starter whose files are not what the generator wrote (see
//! `days/.starters.md5`) is the student's: half-done, unformatted or not
//! compiling yet, and none of that is for `just test` to judge (`just
//! progress` is). So is a starter that builds on one (day 04 uses the
//! student's day 02). Verify proves the *generated* starters instead. In a
//! clean checkout, and so in CI, every package is listed.
//!
//! The members come from the root `Cargo.toml` (`members = ["dir/*", ...]`)
//! and each member's `[package] name`, read as TOML: no `cargo metadata`
//! (which resolves every dependency first), so it answers at once.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use pitlane_course::Workspace;
use pitlane_course::generate;

pub fn run(workspace: &Workspace) -> Result<ExitCode> {
    let days = workspace.days()?;
    let students: Vec<PathBuf> = generate::days_with_students_work(workspace, &days)?
        .iter()
        .map(|slug| Path::new("days").join(slug))
        .collect();
    for folder in members(&workspace.root)? {
        let relative = folder.strip_prefix(&workspace.root).unwrap_or(&folder).to_path_buf();
        if students.contains(&relative) {
            eprintln!(
                "pitlane: leaving out {} (your work, or built on it; `just progress` checks it)",
                relative.display()
            );
            continue;
        }
        println!("{}", package_name(&folder)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// The member folders the root `Cargo.toml`'s `workspace.members` names,
/// globs (`dir/*`) expanded, sorted.
fn members(root: &Path) -> Result<Vec<PathBuf>> {
    let manifest = generate::read_manifest_file(&root.join("Cargo.toml"))?;
    let list = manifest
        .get("workspace")
        .and_then(|workspace| workspace.get("members"))
        .and_then(|members| members.as_array())
        .context("Cargo.toml has no `workspace.members` list")?;
    let mut folders = Vec::new();
    for entry in list {
        let entry =
            entry.as_str().context("Cargo.toml: a `workspace.members` entry is not a string")?;
        if let Some(parent) = entry.strip_suffix("/*") {
            let parent = root.join(parent);
            let mut found: Vec<PathBuf> = std::fs::read_dir(&parent)
                .with_context(|| format!("reading {}", parent.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.join("Cargo.toml").is_file())
                .collect();
            found.sort();
            folders.extend(found);
        } else {
            folders.push(root.join(entry));
        }
    }
    Ok(folders)
}

/// The `name` of a member's `[package]`.
fn package_name(folder: &Path) -> Result<String> {
    let file = folder.join("Cargo.toml");
    let manifest = generate::read_manifest_file(&file)?;
    let name = manifest.get("package").and_then(|package| package.get("name"));
    let name = name.and_then(|name| name.as_str());
    Ok(name.with_context(|| format!("{} has no [package] name", file.display()))?.to_owned())
}
