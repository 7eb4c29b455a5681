//! Tiered hints: `hints/dayNN-slug.md`, read one level at a time.
//!
//! A hint file has a title and three sections, `## Level 1 — …` (the concept,
//! and where the chapter explains it), `## Level 2 — …` (the types and methods,
//! with docs.rs links) and `## Level 3 — …` (nearly the code). `just hint NN`
//! shows the next level the student has not seen yet; `just hint NN K`
//! re-reads level K. A line `Taught: …` above the levels says, in one line,
//! what the day taught: `just watch` shows it when the day passes.
//!
//! The hints live outside the day's folder on purpose: a student browsing
//! `days/` should meet the exercise, not its answer, and `just reset` never
//! needs to restore them.
//!
//! The level reached is the only thing the runner stores
//! (`.pitlane/hints`, one `dayNN-slug level` line per day): a day's progress is
//! always derived from its tests, but how much help a student has asked for
//! cannot be.

use std::path::{Path, PathBuf};

use crate::days::{Day, Workspace};
use crate::error::{Error, Result, io};

/// A day's hints, level 1 first.
#[derive(Debug)]
pub struct Hints {
    /// What the day taught, in one line (`Taught: …` above the levels), for
    /// the moment the day passes.
    pub taught: Option<String>,
    pub levels: Vec<Level>,
}

#[derive(Debug)]
pub struct Level {
    /// "the concept", from `## Level 1 — the concept`.
    pub title: String,
    pub text: String,
}

impl Hints {
    pub fn file(workspace: &Workspace, day: &Day) -> PathBuf {
        workspace.root.join("hints").join(format!("{}.md", day.slug))
    }

    pub fn load(workspace: &Workspace, day: &Day) -> Result<Self> {
        let file = Self::file(workspace, day);
        let text = std::fs::read_to_string(&file).map_err(io("reading", &file))?;
        Self::parse(&text).map_err(|source| Error::HintFile { file, source })
    }

    /// Splits a hint file at its `## Level N` headings, which must count
    /// 1, 2, 3… without a gap.
    pub fn parse(text: &str) -> Result<Self, HintFileError> {
        let mut levels: Vec<Level> = Vec::new();
        let mut taught = None;
        for line in text.lines() {
            if levels.is_empty()
                && let Some(line) = line.strip_prefix("Taught: ")
            {
                taught = Some(line.trim().to_owned());
                continue;
            }
            if let Some(heading) = line.strip_prefix("## Level ") {
                let (number, title) = heading.split_once(' ').unwrap_or((heading, ""));
                if number.parse() != Ok(levels.len() + 1) {
                    return Err(HintFileError::OutOfOrder {
                        found: number.to_owned(),
                        expected: levels.len() + 1,
                    });
                }
                let title = title.trim_start_matches(['—', '-', ':', ' ']).trim().to_owned();
                levels.push(Level { title, text: String::new() });
            } else if let Some(level) = levels.last_mut() {
                level.text.push_str(line);
                level.text.push('\n');
            }
        }
        if levels.is_empty() {
            return Err(HintFileError::NoLevels);
        }
        if let Some(empty) = levels.iter().position(|level| level.text.trim().is_empty()) {
            return Err(HintFileError::EmptyLevel(empty + 1));
        }
        Ok(Self { taught, levels })
    }
}

/// A hint file whose `## Level N` sections do not count 1, 2, 3… or are
/// empty.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HintFileError {
    #[error("`## Level {found}` where `## Level {expected}` was expected")]
    OutOfOrder { found: String, expected: usize },
    #[error("no `## Level 1` section")]
    NoLevels,
    #[error("level {0} is empty")]
    EmptyLevel(usize),
}

/// The hint levels each day has reached, kept in `.pitlane/hints`.
pub struct Reached {
    file: PathBuf,
    days: Vec<(String, usize)>,
}

impl Reached {
    pub fn load(workspace: &Workspace) -> Self {
        let file = workspace.root.join(".pitlane/hints");
        // A missing or unreadable file means no hint was asked for yet.
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let days = text
            .lines()
            .filter_map(|line| {
                let (slug, level) = line.split_once(' ')?;
                Some((slug.to_owned(), level.trim().parse().ok()?))
            })
            .collect();
        Self { file, days }
    }

    pub fn level(&self, day: &Day) -> usize {
        self.days.iter().find(|(slug, _)| *slug == day.slug).map_or(0, |(_, level)| *level)
    }

    fn set(&mut self, day: &Day, level: usize) -> Result<()> {
        self.days.retain(|(slug, _)| *slug != day.slug);
        self.days.push((day.slug.clone(), level));
        self.days.sort();
        let text: String =
            self.days.iter().map(|(slug, level)| format!("{slug} {level}\n")).collect();
        write(&self.file, &text)
    }
}

fn write(file: &Path, text: &str) -> Result<()> {
    if let Some(folder) = file.parent() {
        std::fs::create_dir_all(folder).map_err(io("creating", folder))?;
    }
    std::fs::write(file, text).map_err(io("writing", file))
}

/// What `just hint NN [LEVEL]` prints: the next level not seen yet (the last
/// one again once all are seen), or the level asked for. Showing a level
/// counts it as reached.
pub fn show(workspace: &Workspace, day: &Day, asked: Option<usize>) -> Result<String> {
    let hints = Hints::load(workspace, day)?;
    let mut reached = Reached::load(workspace);
    let count = hints.levels.len();
    let level = match asked {
        Some(level) if (1..=count).contains(&level) => level,
        Some(level) => {
            return Err(Error::NoSuchHintLevel { day: day.number.clone(), count, asked: level });
        }
        None => (reached.level(day) + 1).min(count),
    };
    if level > reached.level(day) {
        reached.set(day, level)?;
    }
    Ok(render(day, &hints, level))
}

/// What `h` in `just watch` shows. A key is easy to press by mistake, so one
/// press never spends a level: the first shows the highest level already
/// seen again (or, before any, offers level 1); `again` (the hint panel is
/// already open, so `h` was pressed twice) shows the next level.
pub fn watch_key(workspace: &Workspace, day: &Day, again: bool) -> Result<String> {
    let hints = Hints::load(workspace, day)?;
    let count = hints.levels.len();
    let reached = Reached::load(workspace).level(day);
    if again || count == 0 {
        let shown = show(workspace, day, None)?;
        let level = Reached::load(workspace).level(day);
        return Ok(if level < count {
            format!("{shown}h again: level {} ({}).\n", level + 1, hints.levels[level].title)
        } else {
            shown
        });
    }
    if reached == 0 {
        return Ok(format!(
            "Day {} has {count} hint levels; the first is {}.\n\
             h again shows it (a level once seen stays counted); any other key closes this.\n",
            day.number, hints.levels[0].title
        ));
    }
    let level = reached.min(count);
    let mut out = render(day, &hints, level);
    if level < count {
        out.push_str(&format!("h again: level {} ({}).\n", level + 1, hints.levels[level].title));
    }
    Ok(out)
}

fn render(day: &Day, hints: &Hints, level: usize) -> String {
    let count = hints.levels.len();
    let this = &hints.levels[level - 1];
    let mut out = format!(
        "── day {} · hint level {level} of {count}: {} ──\n\n{}\n",
        day.number,
        this.title,
        this.text.trim()
    );
    out.push('\n');
    if level < count {
        out.push_str(&format!(
            "Still stuck? `just hint {}` again gives level {} ({}).\n",
            day.number,
            level + 1,
            hints.levels[level].title
        ));
    } else {
        out.push_str("That is the last level: the rest is yours to write.\n");
    }
    if level > 1 {
        out.push_str(&format!("`just hint {} 1` re-reads level 1.\n", day.number));
    }
    out
}

/// One line for `progress` and `watch`: how far into the hints the student is.
pub fn summary(workspace: &Workspace, day: &Day) -> String {
    let count = Hints::load(workspace, day).map_or(0, |hints| hints.levels.len());
    match Reached::load(workspace).level(day) {
        _ if count == 0 => format!("Stuck? `just hint {}`.", day.number),
        0 => format!("Stuck? `just hint {}` gives level 1 of {count}: the concept.", day.number),
        level if level < count => format!(
            "Hints seen: level {level} of {count}; `just hint {}` gives the next.",
            day.number
        ),
        _ => format!("Hints seen: all {count} levels (`just hint {} 1` re-reads).", day.number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# Hints — day 01\nTaught: streams.\n\n## Level 1 — the concept\nStreams.\n\n\
                        ## Level 2 — the methods\n`create_stream`.\n\n## Level 3 — nearly the code\nLook.\n";

    #[test]
    fn levels_are_split_at_their_headings() {
        let hints = Hints::parse(FILE).unwrap();
        let titles: Vec<&str> = hints.levels.iter().map(|l| l.title.as_str()).collect();
        assert_eq!(titles, ["the concept", "the methods", "nearly the code"]);
        assert_eq!(hints.taught.as_deref(), Some("streams."));
        assert_eq!(hints.levels[1].text.trim(), "`create_stream`.");
    }

    #[test]
    fn a_gap_or_an_empty_level_is_refused() {
        let gap = FILE.replace("Level 2", "Level 4");
        assert!(Hints::parse(&gap).unwrap_err().to_string().contains("`## Level 2` was expected"));
        let empty = FILE.replace("Streams.", "");
        assert_eq!(Hints::parse(&empty).unwrap_err(), HintFileError::EmptyLevel(1));
        assert_eq!(
            Hints::parse("# Hints\nnothing").unwrap_err().to_string(),
            "no `## Level 1` section"
        );
    }

    #[test]
    fn each_level_says_what_comes_next() {
        let hints = Hints::parse(FILE).unwrap();
        let day = Day::for_tests("/w", "day01-hello");
        let first = render(&day, &hints, 1);
        assert!(first.starts_with("── day 01 · hint level 1 of 3: the concept ──\n\nStreams.\n"));
        assert!(first.contains("again gives level 2 (the methods)"), "{first}");
        assert!(!first.contains("re-reads"), "{first}");
        let last = render(&day, &hints, 3);
        assert!(last.contains("the last level") && last.contains("`just hint 01 1`"), "{last}");
    }

    /// One `h` in watch never spends a level: it offers level 1, or shows the
    /// highest level seen again; only a second `h` moves on.
    #[test]
    fn one_key_press_in_watch_never_spends_a_level() {
        let folder = std::env::temp_dir().join(format!("pitlane-hints-{}", std::process::id()));
        std::fs::create_dir_all(folder.join("hints")).unwrap();
        std::fs::write(folder.join("hints/day01-hello.md"), FILE).unwrap();
        let workspace = Workspace::at(folder.clone());
        let day = Day::for_tests(folder.to_str().unwrap(), "day01-hello");
        let level = || Reached::load(&workspace).level(&day);

        let offer = watch_key(&workspace, &day, false).unwrap();
        assert!(offer.contains("h again shows it"), "{offer}");
        assert_eq!(level(), 0, "a first press only offers level 1");

        let first = watch_key(&workspace, &day, true).unwrap();
        assert!(
            first.contains("hint level 1 of 3") && first.contains("h again: level 2"),
            "{first}"
        );
        assert_eq!(level(), 1);

        // The watch is opened again later: one press shows level 1 again.
        let again = watch_key(&workspace, &day, false).unwrap();
        assert!(again.contains("hint level 1 of 3"), "{again}");
        assert_eq!(level(), 1, "re-reading a level spends nothing");

        assert!(watch_key(&workspace, &day, true).unwrap().contains("hint level 2 of 3"));
        assert!(watch_key(&workspace, &day, true).unwrap().contains("hint level 3 of 3"));
        let last = watch_key(&workspace, &day, true).unwrap();
        assert!(last.contains("hint level 3 of 3") && !last.contains("h again"), "{last}");
        assert_eq!(level(), 3);
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
