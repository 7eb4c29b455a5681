//! `just reset NN`: the day's starter as generated, with the student's
//! files saved first.
//!
//! It needs no git: the starter is made again from its solution, exactly as
//! `just gen` makes it ([`generate::write_starters`]). Every file of the day
//! that it overwrites or removes — a changed file, or an extra `.rs` file
//! under `src/` or `tests/`, which cargo would still compile — is first copied
//! to `.pitlane/saved/<day>-<time>/` ([`crate::saved`]), so whether or not the
//! work was committed, nothing is lost.

use crate::Result;
use crate::days::{Day, Workspace};
use crate::generate;

/// Makes `day`'s starter again, saving the student's files first, and says
/// what it did.
pub fn reset(workspace: &Workspace, day: &Day, days: &[Day]) -> Result<String> {
    let written = generate::write_starters(workspace, &[day], days)?;
    let mut said = String::new();
    if let Some((folder, files)) = &written.saved {
        said += &format!("Your files of day {} are saved in {}/:\n", day.number, folder.display());
        for file in files {
            said += &format!("  {}\n", file.display());
        }
    }
    if written.changed.is_empty() {
        said +=
            &format!("Day {}'s starter was already as generated; nothing changed.\n", day.number);
    } else {
        said += &format!(
            "Day {}'s starter ({}) is as generated again ({} file(s) restored): `just check {}` \
             starts afresh.\n",
            day.number,
            workspace.relative(&day.starter_dir),
            written.changed.len(),
            day.number
        );
    }
    Ok(said)
}
