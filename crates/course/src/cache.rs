//! Remembered verdicts: `just progress` and `just watch` skip a day's suite
//! when nothing it depends on changed since it last ran.
//!
//! A verdict is keyed by a fingerprint of every file that can change it: the
//! day's starter and those of the earlier days it builds on (its manifest's
//! dependencies),
//! the day's suite, the shared crates, the fixtures and the workspace's
//! manifests and lock file. Any changed byte there is a new fingerprint, so
//! the suite runs again: the cache only saves time, it never decides.
//!
//! It lives in `.pitlane/verdicts`, one line per day:
//! `dayNN-slug fingerprint compiled passed failed`.

use std::path::{Path, PathBuf};

use crate::Result;
use crate::days::{Day, Output, TestRun, Workspace};

/// What a past run of a day's suite found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub compiled: bool,
    pub passed: u32,
    pub failed: u32,
}

impl Verdict {
    pub fn of(run: &TestRun) -> Self {
        // A run that did not exit cleanly with its counts (stopped, or
        // crashed) is not solved, whatever it counted.
        let failed = if run.compiled && !run.exit_ok && run.failed == 0 { 1 } else { run.failed };
        Self { compiled: run.compiled, passed: run.passed, failed }
    }

    pub fn solved(&self) -> bool {
        self.compiled && self.failed == 0 && self.passed > 0
    }

    pub fn total(&self) -> u32 {
        self.passed + self.failed
    }
}

pub struct Cache {
    file: PathBuf,
    lines: Vec<String>,
}

impl Cache {
    pub fn load(workspace: &Workspace) -> Self {
        let file = workspace.root.join(".pitlane/verdicts");
        // No file, or an unreadable one, is an empty cache: every suite runs.
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        Self { file, lines: text.lines().map(str::to_owned).collect() }
    }

    /// The verdict stored for `day` under exactly this `fingerprint`.
    pub fn get(&self, day: &Day, fingerprint: &str) -> Option<Verdict> {
        self.lines.iter().find_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let [slug, stored, compiled, passed, failed] = fields.as_slice() else {
                return None;
            };
            if *slug != day.slug || stored != &fingerprint {
                return None;
            }
            Some(Verdict {
                compiled: *compiled == "1",
                passed: passed.parse().ok()?,
                failed: failed.parse().ok()?,
            })
        })
    }

    /// Remembers `verdict` for `day` (replacing what was there) on disk.
    /// A cache that cannot be written only costs time next run: it is not an error.
    pub fn put(&mut self, day: &Day, fingerprint: &str, verdict: Verdict) {
        let prefix = format!("{} ", day.slug);
        self.lines.retain(|line| !line.starts_with(&prefix));
        self.lines.push(format!(
            "{} {fingerprint} {} {} {}",
            day.slug,
            u8::from(verdict.compiled),
            verdict.passed,
            verdict.failed
        ));
        self.lines.sort();
        if let Some(folder) = self.file.parent() {
            let _ = std::fs::create_dir_all(folder);
        }
        let _ = std::fs::write(&self.file, self.lines.join("\n") + "\n");
    }
}

impl Cache {
    /// `day`'s verdict on the student's code: remembered, when nothing it
    /// depends on changed since its suite last ran; otherwise the suite runs
    /// and its verdict is remembered (when `run` allows it; `None` when not).
    /// `starting` is called just before a suite runs, and only then.
    pub fn verdict(
        &mut self,
        workspace: &Workspace,
        day: &Day,
        days: &[Day],
        run: bool,
        starting: impl FnOnce(),
    ) -> Result<Option<Verdict>> {
        let fingerprint = fingerprint(workspace, day, days);
        if let Some(verdict) = self.get(day, &fingerprint) {
            return Ok(Some(verdict));
        }
        if !run {
            return Ok(None);
        }
        starting();
        let tested = workspace.run_suite(&day.starter_package(), Output::Hide)?;
        let verdict = Verdict::of(&tested);
        self.put(day, &fingerprint, verdict);
        Ok(Some(verdict))
    }
}

/// The fingerprint of everything `day`'s verdict depends on: its starter and
/// the starters of the days it builds on (not every earlier day: a change to
/// day 02 leaves day 07's verdict standing), its suite and the shared files.
pub fn fingerprint(workspace: &Workspace, day: &Day, days: &[Day]) -> String {
    let root = &workspace.root;
    let built_on = crate::generate::built_on(day, days);
    let mut inputs: Vec<PathBuf> = days
        .iter()
        .filter(|other| other.slug == day.slug || built_on.contains(&other.slug))
        .map(|other| other.starter_dir.clone())
        .collect();
    inputs.push(day.suite_dir());
    for shared in ["crates", "fixtures", "Cargo.toml", "Cargo.lock", "rust-toolchain.toml"] {
        inputs.push(root.join(shared));
    }
    let mut files = Vec::new();
    for input in &inputs {
        collect_files(input, &mut files);
    }
    files.sort();
    let mut hash = md5::Context::new();
    for file in &files {
        let relative = file.strip_prefix(root).unwrap_or(file);
        hash.consume(relative.to_string_lossy().as_bytes());
        hash.consume([0]);
        // A file that cannot be read hashes as empty: it is still named.
        hash.consume(std::fs::read(file).unwrap_or_default());
        hash.consume([0]);
    }
    format!("{:x}", hash.finalize())
}

/// Every file under `path` (or `path` itself), skipping build output and
/// hidden folders.
fn collect_files(path: &Path, files: &mut Vec<PathBuf>) {
    let Ok(metadata) = std::fs::metadata(path) else { return };
    if metadata.is_file() {
        files.push(path.to_owned());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else { return };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        collect_files(&entry.path(), files);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_is_found_only_under_its_own_fingerprint() {
        let folder = std::env::temp_dir().join(format!("pitlane-cache-{}", std::process::id()));
        let workspace = Workspace::at(folder.clone());
        let day = Day::for_tests(folder.to_str().unwrap(), "day01-hello");
        let solved = Verdict { compiled: true, passed: 3, failed: 0 };
        let mut cache = Cache::load(&workspace);
        assert_eq!(cache.get(&day, "abc"), None);
        cache.put(&day, "abc", Verdict { compiled: false, passed: 0, failed: 0 });
        cache.put(&day, "abc", solved);

        let cache = Cache::load(&workspace);
        assert_eq!(cache.get(&day, "abc"), Some(solved), "the last verdict, from disk");
        assert_eq!(cache.get(&day, "abd"), None, "a changed fingerprint is not a hit");
        assert!(solved.solved() && !Verdict { failed: 1, ..solved }.solved());
        assert!(!Verdict { compiled: true, passed: 0, failed: 0 }.solved(), "no test is no pass");
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
