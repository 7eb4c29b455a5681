//! Where the workbook is on disk.
//!
//! Every program of the workbook (the runner, the demo, the test helpers,
//! the benchmarks) needs the folder it lives in: for `days/`, `fixtures/`,
//! `data/` and `web/`. That folder is found **when the program runs**, never
//! when it is compiled: a course folder gets copied, moved and re-cloned, and
//! a binary built in one folder must not go on reading another
//! (`env!("CARGO_MANIFEST_DIR")` would bake the old path in).
//!
//! It uses only the standard library, so the runner that depends on it
//! still builds in a second.

use std::fmt;
use std::path::{Path, PathBuf};

/// The variable that names the root explicitly. The `justfile` sets it to its
/// own folder, and the runner passes it on to everything it starts, so that a
/// test run from `target/` or from a scratch folder still finds its checkout.
pub const ROOT_ENV: &str = "PITLANE_ROOT";

/// The workbook's root folder: `PITLANE_ROOT` when it is set, otherwise the
/// nearest folder, from the current directory upwards, that holds the
/// workbook's `justfile`, `Cargo.toml` and `days/`.
///
/// `cargo test` runs a test binary in its package's folder and `just` runs
/// recipes in the justfile's, so both find the checkout they stand in.
pub fn workspace_root() -> Result<PathBuf, LayoutError> {
    if let Some(root) = std::env::var_os(ROOT_ENV).filter(|value| !value.is_empty()) {
        let root = PathBuf::from(root);
        return if is_root(&root) {
            Ok(root)
        } else {
            Err(LayoutError::NotARoot { folder: root, variable: ROOT_ENV })
        };
    }
    let here = std::env::current_dir().map_err(LayoutError::NoCurrentDir)?;
    find_root_from(&here).ok_or(LayoutError::NotFound { from: here })
}

/// The nearest folder, `start` or one of its ancestors, that is a workbook root.
pub fn find_root_from(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|folder| is_root(folder)).map(Path::to_path_buf)
}

/// A workbook root has the `justfile`, the workspace `Cargo.toml` and `days/`.
/// (Scratch workspaces the runner builds under `target/` have no `justfile`,
/// so the search goes past them to the real checkout.)
fn is_root(folder: &Path) -> bool {
    folder.join("justfile").is_file()
        && folder.join("Cargo.toml").is_file()
        && folder.join("days").is_dir()
}

/// Why the root could not be found.
#[derive(Debug)]
pub enum LayoutError {
    /// `PITLANE_ROOT` names a folder that is not a workbook.
    NotARoot { folder: PathBuf, variable: &'static str },
    /// No folder from here upwards is a workbook.
    NotFound { from: PathBuf },
    /// The current directory cannot be read (it was deleted, say).
    NoCurrentDir(std::io::Error),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotARoot { folder, variable } => write!(
                f,
                "{variable} is {}, which is not a Pitlane folder (no justfile, Cargo.toml and \
                 days/ there); unset it or point it at your course folder",
                folder.display()
            ),
            Self::NotFound { from } => write!(
                f,
                "{} is not inside a Pitlane folder (none of it or its parents has a justfile, \
                 Cargo.toml and days/); run this from your course folder",
                from.display()
            ),
            Self::NoCurrentDir(err) => write!(f, "the current directory cannot be read: {err}"),
        }
    }
}

impl std::error::Error for LayoutError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NoCurrentDir(err) => Some(err),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let folder =
            std::env::temp_dir().join(format!("pitlane-layout-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).unwrap();
        folder
    }

    fn make_root(folder: &Path) {
        std::fs::create_dir_all(folder.join("days")).unwrap();
        std::fs::write(folder.join("justfile"), "").unwrap();
        std::fs::write(folder.join("Cargo.toml"), "[workspace]\n").unwrap();
    }

    #[test]
    fn the_root_is_found_from_any_folder_inside_it() {
        let root = scratch("inside");
        make_root(&root);
        let deep = root.join("days/day01-create-stream/src");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(find_root_from(&deep), Some(root.clone()));
        assert_eq!(find_root_from(&root), Some(root.clone()));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_workspace_without_a_justfile_is_passed_over() {
        // The runner's scratch workspace for pristine starters, under target/.
        let root = scratch("nested");
        make_root(&root);
        let inner = root.join("target/pitlane/pristine");
        std::fs::create_dir_all(inner.join("days")).unwrap();
        std::fs::write(inner.join("Cargo.toml"), "[workspace]\n").unwrap();
        assert_eq!(find_root_from(&inner), Some(root.clone()));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn outside_a_workbook_there_is_no_root() {
        let folder = scratch("outside");
        assert_eq!(find_root_from(&folder), None);
        let message = LayoutError::NotFound { from: folder.clone() }.to_string();
        assert!(message.contains("is not inside a Pitlane folder"), "{message}");
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
