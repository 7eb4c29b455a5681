//! `pitlane reset NN`: the day's starter as generated, with the student's
//! files saved first.
//!
//! It needs no git: the starter is made again from its solution, exactly as
//! `just gen` makes it. Every file of the day that it would overwrite or
//! remove (a changed file, or an extra `.rs` file under `src/` or `tests/`,
//! which cargo would still compile) is first copied to
//! `.pitlane/saved/<day>-<time>/`, so whether or not the work was committed,
//! nothing is lost.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::days::{Day, Workspace};
use crate::generate;

pub fn run(workspace: &Workspace, wanted: &str) -> Result<ExitCode, String> {
    let days = workspace.days()?;
    let day = Day::select(&days, wanted)?;
    let generated = generate::starter(workspace, day, &days)?;
    let mut to_save: Vec<PathBuf> = Vec::new();
    for file in &generated {
        let on_disk = workspace.root.join(&file.path);
        if on_disk.exists() && std::fs::read(&on_disk).ok().as_deref() != Some(file.text.as_bytes())
        {
            to_save.push(file.path.clone());
        }
    }
    let mut extras = Vec::new();
    for folder in ["src", "tests"] {
        for path in files_under(&day.starter_dir.join(folder)) {
            let relative = path.strip_prefix(&workspace.root).unwrap_or(&path).to_path_buf();
            if !generated.iter().any(|file| file.path == relative) {
                extras.push(relative);
            }
        }
    }
    to_save.extend(extras.iter().cloned());

    if !to_save.is_empty() {
        let saved = Path::new(".pitlane/saved").join(format!("{}-{}", day.slug, timestamp()));
        for file in &to_save {
            let from = workspace.root.join(file);
            let to = workspace.root.join(&saved).join(file.strip_prefix("days").unwrap_or(file));
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("creating {}: {e}", parent.display()))?;
            }
            std::fs::copy(&from, &to).map_err(|e| format!("saving {}: {e}", from.display()))?;
        }
        println!("Your files of day {} are saved in {}/:", day.number, saved.display());
        for file in &to_save {
            println!("  {}", file.display());
        }
    }
    for file in &extras {
        let path = workspace.root.join(file);
        std::fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
    }
    generate::write_starters(workspace, &[day], &days)?;
    if to_save.is_empty() {
        println!("Day {}'s starter was already as generated; nothing changed.", day.number);
    } else {
        println!(
            "Day {}'s starter ({}) is as generated again: `just check {}` starts afresh.",
            day.number,
            workspace.relative(&day.starter_dir),
            day.number
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `2026-12-01T17-50-03Z`: sortable, readable, and a valid file name everywhere.
fn timestamp() -> String {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format_utc(seconds)
}

fn format_utc(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}-{:02}-{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_folders_are_named_by_the_utc_time() {
        assert_eq!(format_utc(0), "1970-01-01T00-00-00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00-00-00Z");
        assert_eq!(format_utc(1_796_147_403), "2026-12-01T17-50-03Z");
    }
}
