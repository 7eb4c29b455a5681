//! Tiered hints: `hints/dayNN-slug.md`, read one level at a time.
//!
//! A hint file has a title and three sections, `## Level 1 — …` (the concept,
//! and where the chapter explains it), `## Level 2 — …` (the types and methods,
//! with docs.rs links) and `## Level 3 — …` (nearly the code). `just hint NN`
//! shows the next level the student has not seen yet; `just hint NN K`
//! re-reads level K. A line `Taught: …` above the levels says, in one line,
//! what the day taught: `just watch` shows it when the day passes.
//!
//! The Spanish hints are `hints/es/dayNN-slug.md`, with `## Nivel N — …`
//! levels and `Aprendiste: …`; a student whose language is Spanish
//! ([`Lang`]) reads them, and the English ones where a day has none yet.
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
use crate::lang::Lang;
use crate::tr;

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
    /// The day's hint file in `lang`: `hints/es/…` in Spanish, when there is
    /// one; otherwise the English, `hints/…`.
    pub fn file(workspace: &Workspace, day: &Day, lang: Lang) -> PathBuf {
        let name = format!("{}.md", day.slug);
        let spanish = workspace.root.join("hints/es").join(&name);
        if lang == Lang::Es && spanish.is_file() {
            return spanish;
        }
        workspace.root.join("hints").join(name)
    }

    pub fn load(workspace: &Workspace, day: &Day, lang: Lang) -> Result<Self> {
        let file = Self::file(workspace, day, lang);
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
                && let Some(line) =
                    line.strip_prefix("Taught: ").or(line.strip_prefix("Aprendiste: "))
            {
                taught = Some(line.trim().to_owned());
                continue;
            }
            if let Some(heading) = line.strip_prefix("## Level ").or(line.strip_prefix("## Nivel "))
            {
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
pub fn show(workspace: &Workspace, day: &Day, asked: Option<usize>, lang: Lang) -> Result<String> {
    let hints = Hints::load(workspace, day, lang)?;
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
    Ok(render(day, &hints, level, lang))
}

/// What `h` in `just watch` shows. A key is easy to press by mistake, so one
/// press never spends a level: the first shows the highest level already
/// seen again (or, before any, offers level 1); `again` (the hint panel is
/// already open, so `h` was pressed twice) shows the next level.
pub fn watch_key(workspace: &Workspace, day: &Day, again: bool, lang: Lang) -> Result<String> {
    let hints = Hints::load(workspace, day, lang)?;
    let count = hints.levels.len();
    let reached = Reached::load(workspace).level(day);
    let next = |level: usize| {
        let title = &hints.levels[level].title;
        tr!(lang, "h again: level {} ({title}).\n", "h otra vez: nivel {} ({title}).\n", level + 1)
    };
    if again || count == 0 {
        let shown = show(workspace, day, None, lang)?;
        let level = Reached::load(workspace).level(day);
        return Ok(if level < count { shown + &next(level) } else { shown });
    }
    if reached == 0 {
        let (number, first) = (&day.number, &hints.levels[0].title);
        return Ok(tr!(
            lang,
            "Day {number} has {count} hint levels; the first is {first}.\n\
             h again shows it (a level once seen stays counted); any other key closes this.\n",
            "El día {number} tiene {count} niveles de pistas; el primero es {first}.\n\
             h otra vez lo muestra (un nivel visto queda contado); cualquier otra tecla cierra esto.\n",
        ));
    }
    let level = reached.min(count);
    let mut out = render(day, &hints, level, lang);
    if level < count {
        out.push_str(&next(level));
    }
    Ok(out)
}

fn render(day: &Day, hints: &Hints, level: usize, lang: Lang) -> String {
    let (count, number) = (hints.levels.len(), &day.number);
    let this = &hints.levels[level - 1];
    let (title, text) = (&this.title, this.text.trim());
    let mut out = tr!(
        lang,
        "── day {number} · hint level {level} of {count}: {title} ──\n\n{text}\n\n",
        "── día {number} · pista, nivel {level} de {count}: {title} ──\n\n{text}\n\n",
    );
    if level < count {
        let (next, title) = (level + 1, &hints.levels[level].title);
        out += &tr!(
            lang,
            "Still stuck? `just hint {number}` again gives level {next} ({title}).\n",
            "¿Aún no lo logras? `just hint {number}` otra vez da el nivel {next} ({title}).\n",
        );
    } else {
        out += &tr!(
            lang,
            "That is the last level: the rest is yours to write.\n",
            "Ese es el último nivel: el resto lo escribes tú.\n"
        );
    }
    if level > 1 {
        out += &tr!(
            lang,
            "`just hint {number} 1` re-reads level 1.\n",
            "`just hint {number} 1` vuelve a mostrar el nivel 1.\n"
        );
    }
    out
}

/// One line for `progress` and `watch`: how far into the hints the student is.
pub fn summary(workspace: &Workspace, day: &Day, lang: Lang) -> String {
    let count = Hints::load(workspace, day, lang).map_or(0, |hints| hints.levels.len());
    let number = &day.number;
    match Reached::load(workspace).level(day) {
        _ if count == 0 => {
            tr!(lang, "Stuck? `just hint {number}`.", "¿Te atascaste? `just hint {number}`.")
        }
        0 => tr!(
            lang,
            "Stuck? `just hint {number}` gives level 1 of {count}: the concept.",
            "¿Te atascaste? `just hint {number}` da el nivel 1 de {count}: el concepto.",
        ),
        level if level < count => tr!(
            lang,
            "Hints seen: level {level} of {count}; `just hint {number}` gives the next.",
            "Pistas vistas: nivel {level} de {count}; `just hint {number}` da el siguiente.",
        ),
        _ => tr!(
            lang,
            "Hints seen: all {count} levels (`just hint {number} 1` re-reads).",
            "Pistas vistas: los {count} niveles (`just hint {number} 1` las vuelve a mostrar).",
        ),
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
        let first = render(&day, &hints, 1, Lang::En);
        assert!(first.starts_with("── day 01 · hint level 1 of 3: the concept ──\n\nStreams.\n"));
        assert!(first.contains("again gives level 2 (the methods)"), "{first}");
        assert!(!first.contains("re-reads"), "{first}");
        let last = render(&day, &hints, 3, Lang::En);
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

        let offer = watch_key(&workspace, &day, false, Lang::En).unwrap();
        assert!(offer.contains("h again shows it"), "{offer}");
        assert_eq!(level(), 0, "a first press only offers level 1");

        let first = watch_key(&workspace, &day, true, Lang::En).unwrap();
        assert!(
            first.contains("hint level 1 of 3") && first.contains("h again: level 2"),
            "{first}"
        );
        assert_eq!(level(), 1);

        // The watch is opened again later: one press shows level 1 again.
        let again = watch_key(&workspace, &day, false, Lang::En).unwrap();
        assert!(again.contains("hint level 1 of 3"), "{again}");
        assert_eq!(level(), 1, "re-reading a level spends nothing");

        assert!(watch_key(&workspace, &day, true, Lang::En).unwrap().contains("hint level 2 of 3"));
        assert!(watch_key(&workspace, &day, true, Lang::En).unwrap().contains("hint level 3 of 3"));
        let last = watch_key(&workspace, &day, true, Lang::En).unwrap();
        assert!(last.contains("hint level 3 of 3") && !last.contains("h again"), "{last}");
        assert_eq!(level(), 3);
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn spanish_hints_have_nivel_levels_and_render_in_spanish() {
        let file = "# Pistas — día 01\nAprendiste: streams.\n\n## Nivel 1 — el concepto\nStreams.\n\n\
                    ## Nivel 2 — los métodos\n`create_stream`.\n";
        let hints = Hints::parse(file).unwrap();
        assert_eq!(hints.taught.as_deref(), Some("streams."));
        assert_eq!(hints.levels[1].title, "los métodos");
        let day = Day::for_tests("/w", "day01-hello");
        let first = render(&day, &hints, 1, Lang::Es);
        assert!(first.starts_with("── día 01 · pista, nivel 1 de 2: el concepto ──"), "{first}");
        assert!(first.contains("`just hint 01` otra vez da el nivel 2 (los métodos)"), "{first}");
        assert!(render(&day, &hints, 2, Lang::Es).contains("el resto lo escribes tú"));
    }
}
