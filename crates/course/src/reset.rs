//! `just reset NN`: the day's starter as generated, with the student's
//! files saved first.
//!
//! It needs no git: the starter is made again from its solution, exactly as
//! `just gen` makes it ([`generate::write_starters`]). Every file of the day
//! that it overwrites or removes — a changed file, or an extra `.rs` file
//! under `src/` or `tests/`, which cargo would still compile — is first copied
//! to `.pitlane/saved/<day>-<time>/` ([`crate::saved`]), so whether or not the
//! work was committed, nothing is lost.

use crate::days::{Day, Workspace};
use crate::generate;
use crate::lang::Lang;
use crate::{Result, tr};

/// Makes `day`'s starter again, saving the student's files first, and says
/// what it did, in `lang`.
pub fn reset(workspace: &Workspace, day: &Day, days: &[Day], lang: Lang) -> Result<String> {
    let written = generate::write_starters(workspace, &[day], days)?;
    let number = &day.number;
    let mut said = String::new();
    if let Some((folder, files)) = &written.saved {
        let folder = folder.display();
        said += &tr!(
            lang,
            "Your files of day {number} are saved in {folder}/:\n",
            "Tus archivos del día {number} quedan guardados en {folder}/:\n"
        );
        for file in files {
            said += &format!("  {}\n", file.display());
        }
    }
    if written.changed.is_empty() {
        said += &tr!(
            lang,
            "Day {number}'s starter was already as generated; nothing changed.\n",
            "El código inicial del día {number} ya estaba como se generó; nada cambió.\n"
        );
    } else {
        let (folder, count) = (workspace.relative(&day.starter_dir), written.changed.len());
        let restored = match count {
            1 => "1 archivo restaurado".to_owned(),
            _ => format!("{count} archivos restaurados"),
        };
        said += &tr!(
            lang,
            "Day {number}'s starter ({folder}) is as generated again ({count} file(s) restored): \
             `just check {number}` starts afresh.\n",
            "El código inicial del día {number} ({folder}) está otra vez como se generó \
             ({restored}): `just check {number}` empieza de nuevo.\n"
        );
    }
    Ok(said)
}
