//! `pitlane packages`: the workspace's packages for `just test`'s cargo
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
//! and each member's `[package] name`: no `cargo metadata`, so it answers at
//! once.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::days::Workspace;
use crate::generate;

pub fn run(workspace: &Workspace) -> Result<ExitCode, String> {
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

/// The member folders the root `Cargo.toml` names, globs expanded, sorted.
fn members(root: &Path) -> Result<Vec<PathBuf>, String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|e| format!("reading Cargo.toml: {e}"))?;
    let line = manifest
        .lines()
        .find(|line| line.trim_start().starts_with("members"))
        .ok_or("Cargo.toml has no `members = [...]` line")?;
    let list =
        line.split_once('[').and_then(|(_, rest)| rest.split_once(']')).map(|(list, _)| list);
    let mut folders = Vec::new();
    for entry in list.ok_or("Cargo.toml: `members` is not a one-line list")?.split(',') {
        let entry = entry.trim().trim_matches('"');
        if entry.is_empty() {
            continue;
        }
        if let Some(parent) = entry.strip_suffix("/*") {
            let parent = root.join(parent);
            let mut found: Vec<PathBuf> = std::fs::read_dir(&parent)
                .map_err(|e| format!("reading {}: {e}", parent.display()))?
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
fn package_name(folder: &Path) -> Result<String, String> {
    let file = folder.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "name"
        {
            return Ok(value.trim().trim_matches('"').to_owned());
        }
    }
    Err(format!("{} has no [package] name", file.display()))
}
