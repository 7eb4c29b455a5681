//! `xtask check-book`: the rules of `book/AUTHORING.md` that a program can
//! check, and the book's figures.
//!
//! - Every `{{#include}}` points at a file that exists and, when it names an
//!   anchor, at an anchor that exists. mdBook only warns about a missing file
//!   and silently includes nothing for a missing anchor.
//! - No spoiler: an include from `solutions/` only inside a collapsed
//!   "try first" block, placed after the chapter's `## Your turn`.
//! - No include from `days/`: students edit those files.
//! - Every «Day NN › Section» reference (hints, TODOs, the book) names a
//!   heading of that day's chapter, so renaming a section cannot leave a
//!   hint pointing nowhere.
//! - Every link between chapters names a chapter that exists and, with a
//!   `#fragment`, a heading of it (mdBook checks neither).
//! - Every test the book names as `` `path/to/file.rs::test_name` `` (the
//!   ESM chapter's conformance table) exists in that file, so that the table
//!   cannot drift from the tests.
//! - Every day's chapter has its exercise, recap, 3–5 answered practice
//!   questions, AWS documentation links and enough prose; the book has
//!   enough words and diagrams; every diagram is referenced and exists.
//!
//! It prints one line of figures per chapter, then the book's totals: that
//! table is how the book's figures are counted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use pitlane_course::Workspace;

/// The least prose a day's chapter has, in words.
pub const DAY_MIN_WORDS: usize = 1_200;
/// The least prose the whole book has, in words.
pub const BOOK_MIN_WORDS: usize = 20_000;
/// A day's chapter has this many practice questions, each answered.
pub const DAY_QUESTIONS: std::ops::RangeInclusive<usize> = 3..=5;
/// A day's chapter links at least this many AWS documentation pages.
pub const DAY_MIN_AWS_LINKS: usize = 2;
/// The book has at least this many diagrams.
pub const BOOK_MIN_DIAGRAMS: usize = 10;

const AWS_DOCS: &str = "https://docs.aws.amazon.com/";

pub fn run(workspace: &Workspace) -> Result<ExitCode> {
    let source = workspace.root.join("book/src");
    let chapters = read_chapters(&source)?;
    let mut problems = Vec::new();
    let mut includes = 0;

    for chapter in &chapters {
        let mut report = |problem: String| problems.push(format!("{}: {problem}", chapter.name));
        for target in include_targets(&chapter.text) {
            includes += 1;
            if let Err(problem) = check_target(&source, target) {
                report(problem);
            }
        }
        spoilers(&chapter.text).into_iter().for_each(&mut report);
        if chapter.is_day() {
            day_rules(&chapter.figures()).into_iter().for_each(&mut report);
        }
    }
    problems.extend(broken_references(workspace, &chapters)?);
    problems.extend(broken_links(&chapters));
    problems.extend(missing_tests(workspace, &chapters));
    problems.extend(unused_anchors(workspace, &source, &chapters));
    problems.extend(diagram_problems(&source, &chapters)?);

    print_figures(&chapters, &source)?;
    let words: usize = chapters.iter().map(|chapter| prose_words(&chapter.text)).sum();
    if words < BOOK_MIN_WORDS {
        problems.push(format!("the book has {words} words of prose; it needs {BOOK_MIN_WORDS}"));
    }
    for problem in &problems {
        eprintln!("book: {problem}");
    }
    println!("book: {includes} includes checked, {} problems", problems.len());
    Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

struct Chapter {
    /// The file name, `day07-one-vote-per-user.md`.
    name: String,
    text: String,
}

impl Chapter {
    /// A day's chapter: `dayNN-….md`.
    fn is_day(&self) -> bool {
        self.day_number().is_some()
    }

    fn day_number(&self) -> Option<&str> {
        let number = self.name.strip_prefix("day")?.get(..2)?;
        number.chars().all(|c| c.is_ascii_digit()).then_some(number)
    }

    fn figures(&self) -> Figures {
        let (questions, answers) = practice_questions(&self.text);
        let headings = headings(&self.text);
        Figures {
            words: prose_words(&self.text),
            questions,
            answers,
            aws_links: aws_links(&self.text),
            diagrams: diagram_references(&self.text).len(),
            has_your_turn: headings.iter().any(|h| h == "Your turn"),
            has_recap: headings.iter().any(|h| h == "Recap"),
        }
    }
}

#[derive(Debug, Default, PartialEq)]
struct Figures {
    words: usize,
    questions: usize,
    answers: usize,
    aws_links: usize,
    diagrams: usize,
    has_your_turn: bool,
    has_recap: bool,
}

fn read_chapters(source: &Path) -> Result<Vec<Chapter>> {
    let entries =
        std::fs::read_dir(source).with_context(|| format!("reading {}", source.display()))?;
    let mut chapters = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.extension().is_none_or(|ext| ext != "md") || name == "SUMMARY.md" {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        chapters.push(Chapter { name, text });
    }
    chapters.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(chapters)
}

fn print_figures(chapters: &[Chapter], source: &Path) -> Result<()> {
    println!(
        "{:<34} {:>6} {:>9} {:>9} {:>8}",
        "chapter", "words", "questions", "AWS links", "diagrams"
    );
    let (mut words, mut answered) = (0, 0);
    for chapter in chapters {
        let figures = chapter.figures();
        words += figures.words;
        answered += figures.answers.min(figures.questions);
        println!(
            "{:<34} {:>6} {:>9} {:>9} {:>8}",
            chapter.name,
            figures.words,
            format!("{}/{}", figures.answers, figures.questions),
            figures.aws_links,
            figures.diagrams
        );
    }
    let diagrams = svg_files(source)?.len();
    println!(
        "book: {words} words of prose, {answered} practice questions answered, {diagrams} diagrams"
    );
    Ok(())
}

/// What a day's chapter must have (`book/AUTHORING.md`).
fn day_rules(figures: &Figures) -> Vec<String> {
    let mut problems = Vec::new();
    if figures.words < DAY_MIN_WORDS {
        problems.push(format!("{} words of prose; a day needs {DAY_MIN_WORDS}", figures.words));
    }
    if !figures.has_your_turn {
        problems.push("no `## Your turn` section (the exercise, in prose)".to_owned());
    }
    if !figures.has_recap {
        problems.push("no `## Recap` section".to_owned());
    }
    if !DAY_QUESTIONS.contains(&figures.questions) {
        problems.push(format!(
            "{} practice questions under `## Practice questions`; a day has {} to {}",
            figures.questions,
            DAY_QUESTIONS.start(),
            DAY_QUESTIONS.end()
        ));
    }
    if figures.answers != figures.questions {
        problems.push(format!(
            "{} practice questions but {} answers (`<summary>Answer</summary>`)",
            figures.questions, figures.answers
        ));
    }
    if figures.aws_links < DAY_MIN_AWS_LINKS {
        problems.push(format!(
            "{} links to {AWS_DOCS}; a day links at least {DAY_MIN_AWS_LINKS}",
            figures.aws_links
        ));
    }
    problems
}

/// The targets of `{{#include TARGET}}` directives: `path` or `path:anchor`
/// or `path:lines`.
fn include_targets(text: &str) -> Vec<&str> {
    text.split("{{#include ")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}").map(|(target, _)| target.trim()))
        .collect()
}

fn check_target(source: &Path, target: &str) -> Result<(), String> {
    let (path, selector) = match target.split_once(':') {
        Some((path, selector)) => (path, Some(selector)),
        None => (target, None),
    };
    let file = source.join(path);
    let text = std::fs::read_to_string(&file).map_err(|_| format!("{path} does not exist"))?;
    let Some(anchor) = selector.filter(|s| !s.starts_with(|c: char| c.is_ascii_digit())) else {
        return Ok(());
    };
    let has = |marker: String| text.lines().any(|line| line.trim_end().ends_with(&marker));
    if has(format!("ANCHOR: {anchor}")) && has(format!("ANCHOR_END: {anchor}")) {
        Ok(())
    } else {
        Err(format!("{path} has no anchor {anchor:?} (ANCHOR: / ANCHOR_END: lines)"))
    }
}

/// A chapter's lines, each marked with whether it lies inside a fenced code
/// block (the fence lines themselves count as inside). A fence closes only
/// with a fence of the same character at least as long, as in CommonMark,
/// so a ```` block may show ``` lines.
fn lines_with_fences(text: &str) -> Vec<(usize, &str, bool)> {
    let mut open: Option<(char, usize)> = None;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let fence = ['`', '~'].into_iter().find_map(|c| {
            let length = trimmed.chars().take_while(|&x| x == c).count();
            (length >= 3).then_some((c, length))
        });
        match (open, fence) {
            (None, Some(fence)) => {
                open = Some(fence);
                lines.push((index + 1, line, true));
            }
            (Some((c, length)), Some((d, n)))
                if c == d && n >= length && trimmed.trim_start_matches(c).trim().is_empty() =>
            {
                open = None;
                lines.push((index + 1, line, true));
            }
            _ => lines.push((index + 1, line, open.is_some())),
        }
    }
    lines
}

/// Includes from `solutions/` outside a collapsed try-first block, such
/// blocks placed before the exercise, and includes from `days/`.
fn spoilers(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // One entry per open `<details>`: whether its summary says "try first".
    let mut open_blocks: Vec<bool> = Vec::new();
    let mut seen_your_turn = false;
    for (number, line, in_fence) in lines_with_fences(text) {
        if !in_fence {
            if heading(line).is_some_and(|h| h == "Your turn") {
                seen_your_turn = true;
            }
            if line.contains("<details") {
                open_blocks.push(false);
            }
            if line.contains("<summary") && line.to_lowercase().contains("try first") {
                if let Some(last) = open_blocks.last_mut() {
                    *last = true;
                }
                if !seen_your_turn {
                    problems.push(format!(
                        "line {number}: a try-first block before `## Your turn`: the solution comes after the exercise"
                    ));
                }
            }
            if line.contains("</details>") {
                open_blocks.pop();
            }
        }
        for target in include_targets(line) {
            let path = target.split(':').next().unwrap_or(target);
            let under = |folder: &str| path.split('/').any(|part| part == folder);
            if under("solutions") && !open_blocks.contains(&true) {
                problems.push(format!(
                    "line {number}: {path} is a solution, included outside a collapsed \
                     \"Reference solution (try first!)\" block"
                ));
            }
            if under("days") {
                problems.push(format!(
                    "line {number}: {path} is a student's file (they edit it; the book would show \
                     their code, or nothing): describe the exercise in `## Your turn` instead"
                ));
            }
        }
    }
    problems
}

/// The text of a Markdown ATX heading, `## Title` → `Title`.
fn heading(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches('#');
    let level = line.len() - rest.len();
    ((1..=6).contains(&level) && rest.starts_with(' ')).then(|| rest.trim())
}

fn headings(text: &str) -> Vec<String> {
    lines_with_fences(text)
        .into_iter()
        .filter(|(_, _, in_fence)| !in_fence)
        .filter_map(|(_, line, _)| heading(line).map(str::to_owned))
        .collect()
}

/// Words of prose: outside code blocks and includes, with HTML tags, link
/// targets and bare URLs removed. A word is a run of non-space characters
/// with at least one letter or digit.
fn prose_words(text: &str) -> usize {
    lines_with_fences(text)
        .into_iter()
        .filter(|(_, line, in_fence)| !in_fence && !line.trim_start().starts_with("{{#"))
        .map(|(_, line, _)| strip_markup(line).split_whitespace().filter(|w| is_word(w)).count())
        .sum()
}

fn is_word(token: &str) -> bool {
    token.chars().any(char::is_alphanumeric) && !token.starts_with("http")
}

/// A line without its HTML tags and the targets of its links and images.
fn strip_markup(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find(['<', ']']) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = if tail.starts_with('<') {
            tail.find('>').map(|i| i + 1)
        } else if tail.starts_with("](") {
            tail.find(')').map(|i| i + 1)
        } else {
            Some(1)
        };
        match end {
            Some(end) => {
                out.push(' ');
                rest = &tail[end..];
            }
            None => {
                out.push_str(tail);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The questions (numbered items) and answers (`<summary>Answer`) of the
/// `## Practice questions` section.
fn practice_questions(text: &str) -> (usize, usize) {
    let (mut inside, mut questions, mut answers) = (false, 0, 0);
    for (_, line, in_fence) in lines_with_fences(text) {
        if in_fence {
            continue;
        }
        if line.starts_with("## ") {
            inside = heading(line) == Some("Practice questions");
            continue;
        }
        if !inside {
            continue;
        }
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && line[digits..].starts_with(". ") {
            questions += 1;
        }
        if line.trim_start().starts_with("<summary>Answer") {
            answers += 1;
        }
    }
    (questions, answers)
}

/// Distinct links to the AWS documentation.
fn aws_links(text: &str) -> usize {
    text.split(AWS_DOCS)
        .skip(1)
        .map(|rest| rest.split([')', ' ', '>', '"', '#']).next().unwrap_or(rest))
        .collect::<BTreeSet<_>>()
        .len()
}

/// The `diagrams/NAME.svg` paths a chapter shows.
fn diagram_references(text: &str) -> BTreeSet<String> {
    text.split("diagrams/")
        .skip(1)
        .filter_map(|rest| {
            let name = rest.split([')', '"', ' ', '\'']).next()?;
            name.ends_with(".svg").then(|| format!("diagrams/{name}"))
        })
        .collect()
}

fn svg_files(source: &Path) -> Result<BTreeSet<String>> {
    let folder = source.join("diagrams");
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Ok(BTreeSet::new());
    };
    Ok(entries
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".svg"))
        .map(|name| format!("diagrams/{name}"))
        .collect())
}

fn diagram_problems(source: &Path, chapters: &[Chapter]) -> Result<Vec<String>> {
    let files = svg_files(source)?;
    let referenced: BTreeSet<String> =
        chapters.iter().flat_map(|chapter| diagram_references(&chapter.text)).collect();
    let mut problems = Vec::new();
    for missing in referenced.difference(&files) {
        problems.push(format!("{missing} is shown by a chapter but does not exist"));
    }
    for unused in files.difference(&referenced) {
        problems.push(format!("{unused} is not shown by any chapter"));
    }
    for file in &files {
        let text = std::fs::read_to_string(source.join(file)).unwrap_or_default();
        if !text.contains("viewBox") {
            problems.push(format!("{file} has no viewBox (it would not scale with the page)"));
        }
    }
    if files.len() < BOOK_MIN_DIAGRAMS {
        problems.push(format!("{} diagrams; the book needs {BOOK_MIN_DIAGRAMS}", files.len()));
    }
    Ok(problems)
}

/// «Day NN › Section» references, from the hints, the solutions (the TODO
/// comments the starters are generated from) and the book, that name no
/// heading of day NN's chapter. The starters in `days/` are not read: they
/// are generated from the solutions, and a student's edits are their own.
fn broken_references(workspace: &Workspace, chapters: &[Chapter]) -> Result<Vec<String>> {
    let mut files = Vec::new();
    collect_files(&workspace.root.join("hints"), "md", &mut files);
    collect_files(&workspace.root.join("solutions"), "rs", &mut files);
    collect_files(&workspace.root.join("book/src"), "md", &mut files);
    let mut problems = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        for (day, section) in section_references(&text) {
            let chapter = chapters.iter().find(|c| c.day_number() == Some(day.as_str()));
            let found = chapter.is_some_and(|c| headings(&c.text).contains(&section));
            if !found {
                problems.push(format!(
                    "{}: «Day {day} › {section}» names no heading of day {day}'s chapter",
                    workspace.relative(&file)
                ));
            }
        }
    }
    Ok(problems)
}

/// Links from one chapter to another (`day03-read-shard.md#where-to-start`,
/// or `#fragment` within the chapter) whose chapter or heading does not
/// exist.
fn broken_links(chapters: &[Chapter]) -> Vec<String> {
    let mut problems = Vec::new();
    for chapter in chapters {
        for target in link_targets(&chapter.text) {
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() { chapter.name.as_str() } else { file };
            if !file.ends_with(".md") || file.contains('/') {
                continue; // not a link between chapters
            }
            let Some(linked) = chapters.iter().find(|c| c.name == file) else {
                problems.push(format!("{}: links to {file}, which does not exist", chapter.name));
                continue;
            };
            if !fragment.is_empty() && !heading_ids(&linked.text).iter().any(|id| id == fragment) {
                problems.push(format!(
                    "{}: links to {file}#{fragment}, but {file} has no heading with that id",
                    chapter.name
                ));
            }
        }
    }
    problems
}

/// The targets of Markdown links and images, `[text](target)`, outside code.
fn link_targets(text: &str) -> Vec<&str> {
    lines_with_fences(text)
        .into_iter()
        .filter(|(_, _, in_fence)| !in_fence)
        .flat_map(|(_, line, _)| {
            line.split("](").skip(1).filter_map(|rest| {
                let target = rest.split(')').next()?.split_whitespace().next()?;
                (!target.contains("://") && !target.starts_with("mailto:")).then_some(target)
            })
        })
        .collect()
}

/// The ids mdBook gives a chapter's headings: the text lower-cased, spaces
/// as `-`, other punctuation dropped, `-1`, `-2`… for repeats; or the id of
/// a `{#custom-id}` attribute.
fn heading_ids(text: &str) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    headings(text)
        .iter()
        .map(|heading| {
            let id = match heading.rsplit_once("{#") {
                Some((_, custom)) => custom.trim_end_matches('}').to_owned(),
                None => heading
                    .chars()
                    .filter_map(|c| match c {
                        c if c.is_alphanumeric() || c == '_' || c == '-' => {
                            Some(c.to_ascii_lowercase())
                        }
                        c if c.is_whitespace() => Some('-'),
                        _ => None,
                    })
                    .collect(),
            };
            let repeats = seen.entry(id.clone()).or_default();
            *repeats += 1;
            if *repeats == 1 { id } else { format!("{id}-{}", *repeats - 1) }
        })
        .collect()
}

/// `` `file.rs::name` `` mentions whose file has no `fn name(`.
fn missing_tests(workspace: &Workspace, chapters: &[Chapter]) -> Vec<String> {
    let mut problems = Vec::new();
    for chapter in chapters {
        for (file, name) in test_mentions(&chapter.text) {
            let text = std::fs::read_to_string(workspace.root.join(file)).unwrap_or_default();
            if !text.contains(&format!("fn {name}(")) {
                problems.push(format!(
                    "{}: names the test {file}::{name}, which does not exist",
                    chapter.name
                ));
            }
        }
    }
    problems
}

/// `(file, function)` for each `` `some/file.rs::function` `` in `text`.
fn test_mentions(text: &str) -> Vec<(&str, &str)> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|code| {
            let (file, name) = code.split_once(".rs::")?;
            let name_ok =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            (name_ok && !file.contains(' ')).then(|| (&code[..file.len() + 3], name))
        })
        .collect()
}

/// `ANCHOR: name` lines in the Rust sources (solutions, suites, crates) that
/// no chapter includes: a stale marker left by a move or a rename, which
/// the next reader takes for a place the book shows. (`days/` is left out:
/// its anchors are the solutions', copied by the generator.)
fn unused_anchors(workspace: &Workspace, source: &Path, chapters: &[Chapter]) -> Vec<String> {
    let mut included = BTreeSet::new();
    for chapter in chapters {
        for target in include_targets(&chapter.text) {
            if let Some((path, anchor)) = target.split_once(':')
                && let Ok(file) = source.join(path).canonicalize()
            {
                included.insert((file, anchor.to_owned()));
            }
        }
    }
    let mut files = Vec::new();
    for folder in ["solutions", "suites", "crates"] {
        collect_files(&workspace.root.join(folder), "rs", &mut files);
    }
    files.sort();
    let mut problems = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
        for line in text.lines() {
            let Some(name) = line.trim_start().strip_prefix("// ANCHOR: ") else { continue };
            let name = name.trim();
            if !included.contains(&(canonical.clone(), name.to_owned())) {
                problems.push(format!(
                    "{}: ANCHOR {name:?} is included by no chapter (include it, or remove its two lines)",
                    workspace.relative(&file)
                ));
            }
        }
    }
    problems
}

fn collect_files(folder: &Path, extension: &str, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                collect_files(&path, extension, files);
            }
        } else if path.extension().is_some_and(|ext| ext == extension) {
            files.push(path);
        }
    }
}

/// `(day, section)` of each «Day NN › Section» in `text`. A reference may
/// wrap over lines of a comment (`//~`, `///`, `//!`, `//`) or of a list:
/// the line breaks, indentation and comment markers become single spaces.
fn section_references(text: &str) -> Vec<(String, String)> {
    text.split('«')
        .skip(1)
        .filter_map(|rest| {
            let inner = rest.split_once('»')?.0;
            let inner = inner
                .lines()
                .map(|line| {
                    let line = line.trim_start();
                    ["//~", "//!", "///", "//"]
                        .iter()
                        .find_map(|marker| line.strip_prefix(marker))
                        .unwrap_or(line)
                        .trim()
                })
                .collect::<Vec<_>>()
                .join(" ");
            let (day, section) = inner.strip_prefix("Day ")?.split_once('›')?;
            Some((day.trim().to_owned(), section.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_include_targets() {
        let text = "a\n```rust\n{{#include ../../x.rs:anchor}}\n```\n{{#include ../y.md}}\n";
        assert_eq!(include_targets(text), ["../../x.rs:anchor", "../y.md"]);
    }

    #[test]
    fn a_missing_anchor_is_reported() {
        let folder = std::env::temp_dir().join(format!("pitlane-book-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("code.rs"), "// ANCHOR: here\nfn x() {}\n// ANCHOR_END: here\n")
            .unwrap();

        assert!(check_target(&folder, "code.rs:here").is_ok());
        assert!(check_target(&folder, "code.rs:6:").is_ok());
        assert!(check_target(&folder, "code.rs").is_ok());
        assert!(check_target(&folder, "code.rs:gone").unwrap_err().contains("no anchor \"gone\""));
        assert!(check_target(&folder, "nope.rs").unwrap_err().contains("does not exist"));
        std::fs::remove_dir_all(&folder).unwrap();
    }

    const SOLUTION: &str = "```rust\n{{#include ../../solutions/day01-x/src/lib.rs:f}}\n```\n";

    fn try_first(body: &str) -> String {
        format!(
            "<details>\n<summary>Reference solution (try first!)</summary>\n\n{body}\n</details>\n"
        )
    }

    #[test]
    fn a_solution_is_shown_only_collapsed_after_the_exercise() {
        let good = format!("# Day\n## Your turn\nWrite it.\n{}", try_first(SOLUTION));
        assert_eq!(spoilers(&good), Vec::<String>::new());

        let inline = format!("# Day\n## The idea\n{SOLUTION}## Your turn\n");
        let problems = spoilers(&inline);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("line 4: ../../solutions/day01-x/src/lib.rs is a solution")
        );

        let early = format!("# Day\n{}## Your turn\n", try_first(SOLUTION));
        assert!(spoilers(&early)[0].contains("before `## Your turn`"), "{:?}", spoilers(&early));

        let other_block =
            format!("## Your turn\n<details>\n<summary>Answer</summary>\n{SOLUTION}</details>\n");
        assert_eq!(spoilers(&other_block).len(), 1, "an answer block is not a try-first block");

        let after_block = format!("## Your turn\n{}{SOLUTION}", try_first(""));
        assert_eq!(spoilers(&after_block).len(), 1, "the block closed before the include");
    }

    #[test]
    fn an_include_from_a_students_day_is_refused() {
        let text = "## Your turn\n```rust\n{{#include ../../days/day01-x/src/lib.rs:f}}\n```\n";
        assert!(spoilers(text)[0].contains("is a student's file"));
        let test = "```rust\n{{#include ../../suites/day01-x/mod.rs:t}}\n```\n";
        assert_eq!(spoilers(test), Vec::<String>::new(), "the suite's tests may be shown");
    }

    #[test]
    fn headings_inside_code_blocks_are_not_headings() {
        let text = "# Day\n````markdown\n## Your turn\n```\n## Still code\n```\n````\n## Recap\n";
        assert_eq!(headings(text), ["Day", "Recap"]);
        assert_eq!(heading("#not a heading"), None);
        assert_eq!(heading("### Deep"), Some("Deep"));
    }

    #[test]
    fn prose_is_counted_outside_code_tags_and_link_targets() {
        let text = "Two words.\n```rust\nlet not = prose;\n```\n{{#include ../x.rs}}\n\
                    <details><summary>Answer</summary>\nSee [the guide](https://docs.aws.amazon.com/a/b.html) — now.\n";
        // "Two words." + "Answer" + "See the guide now." ("—" is no word).
        assert_eq!(prose_words(text), 2 + 1 + 4);
        assert_eq!(strip_markup("a <b>c</b> [d](e) f"), "a  c  [d  f");
        assert_eq!(strip_markup("an unclosed <tag"), "an unclosed <tag");
    }

    #[test]
    fn practice_questions_and_answers_are_counted_in_their_section() {
        let text = "## Idea\n1. Not a question.\n## Practice questions\n\n1. Why?\n\n   <details>\n   \
                    <summary>Answer</summary>\n\n   Because.\n\n   </details>\n\n2. How?\n\n\
                    10. And?\n   <details>\n   <summary>Answer</summary>\n   </details>\n## AWS documentation\n\
                    1. Not a question either.\n";
        assert_eq!(practice_questions(text), (3, 2));
    }

    #[test]
    fn aws_links_are_counted_once_each() {
        let text = "[a](https://docs.aws.amazon.com/x.html) [b](https://docs.aws.amazon.com/x.html#y) \
                    [c](https://docs.aws.amazon.com/z.html) [d](https://example.com/)";
        assert_eq!(aws_links(text), 2);
    }

    #[test]
    fn a_day_chapter_is_held_to_its_figures() {
        let complete = Figures {
            words: DAY_MIN_WORDS,
            questions: 3,
            answers: 3,
            aws_links: 2,
            diagrams: 0,
            has_your_turn: true,
            has_recap: true,
        };
        assert_eq!(day_rules(&complete), Vec::<String>::new());
        let short = Figures { words: DAY_MIN_WORDS - 1, ..complete };
        assert!(day_rules(&short)[0].contains("1199 words"));
        let unanswered = Figures { answers: 2, ..complete };
        assert!(day_rules(&unanswered)[0].contains("3 practice questions but 2 answers"));
        let too_many = Figures { questions: 6, answers: 6, ..complete };
        assert!(day_rules(&too_many)[0].contains("6 practice questions"));
        let unlinked = Figures { aws_links: 1, ..complete };
        assert!(day_rules(&unlinked)[0].contains("1 links"));
        let no_exercise = Figures { has_your_turn: false, has_recap: false, ..complete };
        assert_eq!(day_rules(&no_exercise).len(), 2);
    }

    #[test]
    fn section_references_are_read_across_wrapped_comment_lines() {
        let text = "//~ Chapter: «Day 07 › Accept and count in\n    //~   one step». And «Day 10 › Shard maths».\n\
                    - see «Day 03 › When is a\n  reader done?»\n«not a reference»";
        assert_eq!(
            section_references(text),
            [
                ("07".to_owned(), "Accept and count in one step".to_owned()),
                ("10".to_owned(), "Shard maths".to_owned()),
                ("03".to_owned(), "When is a reader done?".to_owned()),
            ]
        );
    }

    #[test]
    fn heading_ids_are_mdbooks() {
        let text = "# Day 03 — read a shard\n## Where to start?\n## `GetRecords`, page by page\n\
                    ## Recap\n## Recap\n## Custom {#mine}\n";
        assert_eq!(
            heading_ids(text),
            [
                "day-03--read-a-shard",
                "where-to-start",
                "getrecords-page-by-page",
                "recap",
                "recap-1",
                "mine"
            ]
        );
    }

    #[test]
    fn links_between_chapters_name_real_headings() {
        let chapter = |name: &str, text: &str| Chapter { name: name.into(), text: text.into() };
        let chapters = [
            chapter(
                "a.md",
                "# A\n[ok](b.md#where-to-start) [ok](b.md) [self](#a) [web](https://x.y/b.md#no)\n\
                             [gone](b.md#nowhere) [missing](c.md) ![img](diagrams/x.svg)\n```\n[code](b.md#not-checked)\n```\n",
            ),
            chapter("b.md", "# B\n## Where to start\n"),
        ];
        assert_eq!(
            broken_links(&chapters),
            [
                "a.md: links to b.md#nowhere, but b.md has no heading with that id",
                "a.md: links to c.md, which does not exist",
            ]
        );
    }

    #[test]
    fn tests_named_in_the_book_are_found() {
        let text = "| retries | `crates/esm/tests/esm.rs::exhausted_retries` |\n`a.rs::b c` and `plain code`";
        assert_eq!(test_mentions(text), [("crates/esm/tests/esm.rs", "exhausted_retries")]);
    }

    #[test]
    fn diagram_references_are_found_in_images_and_html() {
        let text = "![Ring](diagrams/hash-ring.svg) <img src=\"diagrams/esm-flow.svg\"> diagrams/notes.txt";
        let found: Vec<String> = diagram_references(text).into_iter().collect();
        assert_eq!(found, ["diagrams/esm-flow.svg", "diagrams/hash-ring.svg"]);
    }

    #[test]
    fn an_anchor_no_chapter_includes_is_reported() {
        let root = std::env::temp_dir().join(format!("pitlane-anchors-{}", std::process::id()));
        std::fs::create_dir_all(root.join("book/src")).unwrap();
        std::fs::create_dir_all(root.join("crates/x")).unwrap();
        let code = "// ANCHOR: shown\nfn a() {}\n// ANCHOR_END: shown\n    // ANCHOR: stale\nfn b() {}\n\
                    // ANCHOR_END: stale\n/// not a marker: // ANCHOR: prose\n";
        std::fs::write(root.join("crates/x/lib.rs"), code).unwrap();
        let workspace = Workspace::at(root.clone());
        let chapter = |text: &str| Chapter { name: "a.md".into(), text: text.into() };
        let source = root.join("book/src");

        let shown = chapter("```rust\n{{#include ../../crates/x/lib.rs:shown}}\n```\n");
        let problems = unused_anchors(&workspace, &source, &[shown]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("crates/x/lib.rs: ANCHOR \"stale\""), "{problems:?}");

        let both = chapter(
            "{{#include ../../crates/x/lib.rs:shown}}\n{{#include ../../crates/x/lib.rs:stale}}\n",
        );
        assert!(unused_anchors(&workspace, &source, &[both]).is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
