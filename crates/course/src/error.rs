//! What can go wrong in the course's model, as values a caller can tell
//! apart. Each message names the file or the day, and what to do where there
//! is something to do.

use std::path::{Path, PathBuf};

use crate::generate::GenError;
use crate::hints::HintFileError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The checkout was not found (`PITLANE_ROOT`, or the current folder).
    #[error(transparent)]
    Layout(#[from] pitlane_layout::LayoutError),
    /// A file or folder that could not be read, written or removed.
    #[error("{action} {}: {source}", path.display())]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    /// A program (cargo, rustfmt) that could not be started or waited for.
    #[error("running {program}: {source}")]
    Run { program: &'static str, source: std::io::Error },
    #[error("{wanted:?} is not a day number (try 01)")]
    NotADayNumber { wanted: String },
    #[error("there is no day {number:02}; `just list` shows the days")]
    NoSuchDay { number: u32 },
    #[error("{}: {source}", file.display())]
    HintFile { file: PathBuf, source: HintFileError },
    #[error("day {day} has hint levels 1 to {count}, not {asked}")]
    NoSuchHintLevel { day: String, count: usize, asked: usize },
    /// A `Cargo.toml` that is not TOML, or lacks what the course needs.
    #[error("{}: {message}", file.display())]
    Manifest { file: PathBuf, message: String },
    /// A solution's markers (`// solution:`, `//~`) that do not pair up.
    #[error(transparent)]
    Marker(#[from] GenError),
    #[error("rustfmt cannot format the starter made from {}:\n{stderr}", solution.display())]
    Rustfmt { solution: PathBuf, stderr: String },
    /// A line of `days/.starters.md5` that is not `md5sum`'s.
    #[error("{}: not an md5sum line: {line:?}", file.display())]
    Record { file: PathBuf, line: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `map_err(io("reading", &file))`: an I/O error with what was being done, and
/// to which path.
pub(crate) fn io(
    action: &'static str,
    path: impl AsRef<Path>,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.as_ref().to_owned();
    move |source| Error::Io { action, path, source }
}

/// `map_err(run("cargo"))`.
pub(crate) fn run(program: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Run { program, source }
}
