//! `.pitlane/saved/`: where a student's files go before the generator
//! overwrites or removes them (`just reset`, `just gen`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::Result;
use crate::days::Workspace;
use crate::error::io;

/// Copies `files` (relative to the root) to `.pitlane/saved/<name>-<time>/`,
/// keeping their paths, and returns that folder, relative to the root.
pub fn save(workspace: &Workspace, name: &str, files: &[PathBuf]) -> Result<PathBuf> {
    let folder = Path::new(".pitlane/saved").join(format!("{name}-{}", timestamp()));
    for file in files {
        let to = workspace.root.join(&folder).join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
        }
        std::fs::copy(workspace.root.join(file), &to).map_err(io("saving", file))?;
    }
    Ok(folder)
}

/// `2026-12-01T17-50-03.123Z`: sortable, readable, a valid file name
/// everywhere (RFC 3339 in UTC, with `-` for `:`, which Windows refuses in a
/// name), and apart for two resets in the same second.
fn timestamp() -> String {
    folder_time(SystemTime::now())
}

fn folder_time(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string().replace(':', "-")
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn saved_folders_are_named_by_the_utc_time() {
        let at = |seconds: u64, millis: u64| {
            folder_time(UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_millis(millis))
        };
        assert_eq!(at(0, 0), "1970-01-01T00-00-00.000Z");
        assert_eq!(at(951_782_400, 7), "2000-02-29T00-00-00.007Z");
        assert_eq!(at(1_796_147_403, 123), "2026-12-01T17-50-03.123Z");
        assert!(timestamp().ends_with('Z') && timestamp().contains('.'));
    }
}
