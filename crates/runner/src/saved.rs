//! `.pitlane/saved/`: where a student's files go before the generator
//! overwrites or removes them (`just reset`, `just gen`).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::days::Workspace;

/// Copies `files` (relative to the root) to `.pitlane/saved/<name>-<time>/`,
/// keeping their paths, and returns that folder, relative to the root.
pub fn save(workspace: &Workspace, name: &str, files: &[PathBuf]) -> Result<PathBuf, String> {
    let folder = Path::new(".pitlane/saved").join(format!("{name}-{}", timestamp()));
    for file in files {
        let to = workspace.root.join(&folder).join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        std::fs::copy(workspace.root.join(file), &to)
            .map_err(|e| format!("saving {}: {e}", file.display()))?;
    }
    Ok(folder)
}

/// `2026-12-01T17-50-03.123Z`: sortable, readable, a valid file name
/// everywhere, and apart for two resets in the same second.
fn timestamp() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let utc = format_utc(now.as_secs());
    format!("{}.{:03}Z", utc.trim_end_matches('Z'), now.subsec_millis())
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
        assert!(timestamp().ends_with('Z') && timestamp().contains('.'));
    }
}
