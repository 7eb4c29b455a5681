//! `xtask check-book`: the rules of `book/AUTHORING.md` that a program can
//! check, and the book's figures.
//!
//! Each chapter is parsed once, with pulldown-cmark and mdBook's Markdown
//! options, into a [`Chapter`]: its headings (with mdBook's ids), links,
//! includes, `<details>` summaries, numbered items, inline code, diagrams,
//! «Day NN › Section» references and words of prose. Each rule is a
//! function over that model:
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
//! - Every `// ANCHOR:` of the Rust sources is included by some chapter.
//! - Every day's chapter has its exercise, recap, 3–5 answered practice
//!   questions, AWS documentation links and enough prose; the book has
//!   enough words and diagrams; every diagram is referenced and exists.
//!
//! It prints one line of figures per chapter, then the book's totals: that
//! table is how the book's figures are counted.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use pitlane_course::Workspace;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, TextMergeWithOffset};

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

    for chapter in &chapters {
        let mut report = |problem: String| problems.push(format!("{}: {problem}", chapter.name));
        include_problems(&source, chapter).into_iter().for_each(&mut report);
        spoilers(chapter).into_iter().for_each(&mut report);
        if chapter.is_day() {
            day_rules(&chapter.figures()).into_iter().for_each(&mut report);
        }
    }
    problems.extend(broken_references(workspace, &chapters));
    problems.extend(broken_links(&chapters));
    problems.extend(missing_tests(workspace, &chapters));
    problems.extend(unused_anchors(workspace, &source, &chapters));
    problems.extend(diagram_problems(&source, &chapters)?);
    problems.extend(broken_spanish_references(workspace, &chapters));
    problems.extend(book_words(&chapters));

    print_figures(&chapters, &source)?;
    for problem in &problems {
        eprintln!("book: {problem}");
    }
    let includes: usize = chapters.iter().map(|chapter| chapter.includes.len()).sum();
    println!("book: {includes} includes checked, {} problems", problems.len());
    Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

// The model: a chapter, parsed once.

/// A chapter, as the rules see it.
#[derive(Debug, Default)]
struct Chapter {
    /// The file name, `day07-one-vote-per-user.md`.
    name: String,
    /// Its headings, in order, code blocks' `#` lines not among them.
    headings: Vec<Heading>,
    /// Its Markdown links and images (not those in code or raw HTML).
    links: Vec<Link>,
    /// Its `{{#include}}` directives (mdBook's preprocessor expands them
    /// wherever they stand: in code blocks, prose or HTML).
    includes: Vec<Include>,
    /// The `<summary>` of each `<details>` block.
    summaries: Vec<Summary>,
    /// Where each item of a top-level numbered list starts.
    numbered_items: Vec<Place>,
    /// Its inline code spans, `` `like this` ``, without the backticks.
    inline_code: Vec<String>,
    /// The `diagrams/NAME.svg` it shows, in images, links or `<img>` tags.
    diagrams: BTreeSet<String>,
    /// `(day, section)` of each «Day NN › Section» in its prose and code.
    references: Vec<(String, String)>,
    /// Words of prose: outside code blocks and directives, without HTML tags
    /// or link targets. A word is a run of non-space characters with at
    /// least one letter or digit, not a bare URL.
    words: usize,
}

#[derive(Debug, PartialEq)]
struct Heading {
    /// 1 for `#`, 2 for `##`…
    level: usize,
    /// The text as shown, without its markup: `` `GetRecords`, page `` →
    /// `GetRecords, page`.
    text: String,
    /// The id mdBook gives it: see [`heading_ids`].
    id: String,
    /// Written as `{#id}`: the same in every language, where an id made from
    /// the text changes with the translation.
    explicit: bool,
}

#[derive(Debug)]
struct Link {
    /// The destination, as written: `day03-read-shard.md#where-to-start`.
    target: String,
    image: bool,
}

#[derive(Debug)]
struct Include {
    /// `path`, `path:anchor` or `path:lines`.
    target: String,
    place: Place,
    /// The summaries of the `<details>` blocks it lies in, outermost first
    /// (empty for a block without a summary yet).
    details: Vec<String>,
}

#[derive(Debug)]
struct Summary {
    /// The summary's text, tags removed: `Answer`.
    text: String,
    place: Place,
}

/// Where something stands in a chapter.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Place {
    line: usize,
    /// How many of the chapter's headings come before it.
    headings_before: usize,
}

impl Chapter {
    /// Parses `text` with mdBook's Markdown options.
    fn parse(name: &str, text: &str) -> Chapter {
        let mut reader = Reader {
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            chapter: Chapter { name: name.to_owned(), ..Chapter::default() },
            ..Reader::default()
        };
        let events = Parser::new_ext(text, markdown_options()).into_offset_iter();
        for (event, range) in TextMergeWithOffset::new(events) {
            reader.event(event, range.start);
        }
        reader.end_block();
        let mut chapter = reader.chapter;
        let ids = heading_ids(
            reader
                .custom_ids
                .iter()
                .zip(&chapter.headings)
                .map(|(custom, heading)| (heading.text.as_str(), custom.as_deref())),
        );
        for ((heading, id), custom) in chapter.headings.iter_mut().zip(ids).zip(&reader.custom_ids)
        {
            heading.id = id;
            heading.explicit = custom.is_some();
        }
        chapter
    }

    /// A day's chapter: `dayNN-….md`.
    fn is_day(&self) -> bool {
        self.day_number().is_some()
    }

    fn day_number(&self) -> Option<&str> {
        let number = self.name.strip_prefix("day")?.get(..2)?;
        number.chars().all(|c| c.is_ascii_digit()).then_some(number)
    }

    fn has_heading(&self, text: &str) -> bool {
        self.headings.iter().any(|heading| heading.text == text)
    }

    /// Whether a heading `text` comes before `place`.
    fn after_heading(&self, place: Place, text: &str) -> bool {
        self.headings[..place.headings_before].iter().any(|heading| heading.text == text)
    }

    /// Whether `place` lies in the `## title` section (up to the next `##`).
    fn in_section(&self, place: Place, title: &str) -> bool {
        self.headings[..place.headings_before]
            .iter()
            .rev()
            .find(|heading| heading.level == 2)
            .is_some_and(|heading| heading.text == title)
    }

    fn figures(&self) -> Figures {
        const PRACTICE: &str = "Practice questions";
        Figures {
            words: self.words,
            questions: self
                .numbered_items
                .iter()
                .filter(|&&p| self.in_section(p, PRACTICE))
                .count(),
            answers: self
                .summaries
                .iter()
                .filter(|s| s.text.starts_with("Answer") && self.in_section(s.place, PRACTICE))
                .count(),
            aws_links: aws_links(&self.links),
            diagrams: self.diagrams.len(),
            has_your_turn: self.has_heading("Your turn"),
            has_recap: self.has_heading("Recap"),
        }
    }
}

/// The Markdown mdBook reads: CommonMark and the extensions it turns on.
fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Builds a [`Chapter`] from pulldown-cmark's events, in one pass.
#[derive(Default)]
struct Reader {
    /// Where each line of the source starts.
    line_starts: Vec<usize>,
    chapter: Chapter,
    /// The prose of the block being read (text and inline code, breaks as
    /// new lines), for its words and references.
    prose: String,
    /// The heading being read: level, text.
    heading: Option<(usize, String)>,
    /// The `{#custom-id}` of each heading read.
    custom_ids: Vec<Option<String>>,
    in_code_block: bool,
    /// The HTML block being read: its first line, its text.
    html_block: Option<(usize, String)>,
    /// The lists the reader is in, innermost last: whether each is numbered.
    lists: Vec<bool>,
    /// The `<details>` blocks the reader is in: the summary of each.
    details: Vec<String>,
    /// The `<summary>` being read.
    summary: Option<Summary>,
}

impl Reader {
    fn event(&mut self, event: Event, offset: usize) {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        match event {
            Event::Start(tag) => self.start(tag, line),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text, line),
            Event::Code(code) => {
                self.chapter.inline_code.push(code.to_string());
                self.text(&code, line);
            }
            Event::Html(html) => {
                self.html_block.get_or_insert_with(|| (line, String::new())).1.push_str(&html);
            }
            Event::InlineHtml(html) => self.html_tag(&html, line),
            Event::SoftBreak | Event::HardBreak => self.prose.push('\n'),
            _ => self.prose.push(' '),
        }
    }

    fn start(&mut self, tag: Tag, line: usize) {
        if !is_inline(&tag) {
            self.end_block();
        }
        let image = matches!(tag, Tag::Image { .. });
        match tag {
            Tag::Heading { level, id, .. } => {
                self.heading = Some((level as usize, String::new()));
                self.custom_ids.push(id.map(|id| id.to_string()));
            }
            Tag::CodeBlock(_) => self.in_code_block = true,
            Tag::HtmlBlock => self.html_block = Some((line, String::new())),
            Tag::List(first) => self.lists.push(first.is_some()),
            Tag::Item if self.lists == [true] => {
                let place = self.place(line);
                self.chapter.numbered_items.push(place);
            }
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                if dest_url.starts_with("diagrams/") && dest_url.ends_with(".svg") {
                    self.chapter.diagrams.insert(dest_url.to_string());
                }
                self.chapter.links.push(Link { target: dest_url.to_string(), image });
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                if let Some((level, text)) = self.heading.take() {
                    let text = text.trim().to_owned();
                    let (id, explicit) = (String::new(), false);
                    self.chapter.headings.push(Heading { level, text, id, explicit });
                }
            }
            TagEnd::CodeBlock => self.in_code_block = false,
            TagEnd::HtmlBlock => {
                if let Some((line, html)) = self.html_block.take() {
                    self.html(&html, line);
                }
            }
            TagEnd::List(_) => {
                self.lists.pop();
            }
            _ => {}
        }
        if !matches!(
            tag,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image
        ) {
            self.end_block();
        }
    }

    /// Text (or inline code) that starts on `line`.
    fn text(&mut self, text: &str, line: usize) {
        for (at, target) in include_targets(text) {
            let place = self.place(line + text[..at].matches('\n').count());
            let details = self.details.clone();
            self.chapter.includes.push(Include { target: target.to_owned(), place, details });
        }
        if self.in_code_block {
            self.chapter.references.extend(section_references(text));
            return;
        }
        self.prose.push_str(text);
        if let Some((_, heading)) = &mut self.heading {
            heading.push_str(text);
        }
        if let Some(summary) = &mut self.summary {
            summary.text.push_str(text);
        }
    }

    /// An HTML block that starts on `line`: its tags, and the text between
    /// them (prose, shown as it is written).
    fn html(&mut self, html: &str, line: usize) {
        let mut rest = html;
        let mut line = line;
        while !rest.is_empty() {
            let tag_start = rest
                .char_indices()
                .find(|&(i, c)| {
                    c == '<'
                        && rest[i + 1..]
                            .starts_with(|c: char| c.is_ascii_alphabetic() || "/!".contains(c))
                })
                .map_or(rest.len(), |(i, _)| i);
            let tag_end = if tag_start == 0 {
                let end = if rest.starts_with("<!--") {
                    rest.find("-->").map(|i| i + 3)
                } else {
                    rest.find('>').map(|i| i + 1)
                };
                end.unwrap_or(rest.len())
            } else {
                tag_start
            };
            let (piece, tail) = rest.split_at(tag_end);
            if tag_start == 0 {
                self.html_tag(piece, line);
            } else {
                self.text(piece, line);
            }
            line += piece.matches('\n').count();
            rest = tail;
        }
    }

    /// An HTML tag (or comment) on `line`.
    fn html_tag(&mut self, tag: &str, line: usize) {
        self.prose.push(' ');
        for name in diagram_paths(tag) {
            self.chapter.diagrams.insert(name);
        }
        let tag = tag.to_ascii_lowercase();
        if tag.starts_with("<details") {
            self.details.push(String::new());
        } else if tag.starts_with("</details") {
            self.end_summary();
            self.details.pop();
        } else if tag.starts_with("<summary") {
            self.end_summary();
            self.summary = Some(Summary { text: String::new(), place: self.place(line) });
        } else if tag.starts_with("</summary") {
            self.end_summary();
        }
    }

    fn end_summary(&mut self) {
        if let Some(mut summary) = self.summary.take() {
            summary.text = summary.text.trim().to_owned();
            if let Some(open) = self.details.last_mut() {
                open.clone_from(&summary.text);
            }
            self.chapter.summaries.push(summary);
        }
    }

    /// The end of a block of prose: its words and references.
    fn end_block(&mut self) {
        self.chapter.words += count_words(&self.prose);
        self.chapter.references.extend(section_references(&self.prose));
        self.prose.clear();
    }

    fn place(&self, line: usize) -> Place {
        Place { line, headings_before: self.chapter.headings.len() }
    }
}

/// Whether a tag is inline (its text belongs to the block around it).
fn is_inline(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

/// The ids mdBook gives headings `(text, custom id)`: the text lower-cased,
/// letters, digits, `-` and `_` kept, spaces as `-`, other characters
/// dropped, `-1`, `-2`… for repeats; or the id of a `{#custom-id}`
/// attribute.
fn heading_ids<'a>(headings: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    headings
        .map(|(text, custom)| {
            let id = match custom {
                Some(custom) => custom.to_owned(),
                None => text
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

/// The targets of the `{{#include TARGET}}` directives in `text`, with
/// where each directive starts: `path`, `path:anchor` or `path:lines`.
fn include_targets(text: &str) -> Vec<(usize, &str)> {
    text.match_indices("{{#include ")
        .filter_map(|(at, directive)| {
            let rest = &text[at + directive.len()..];
            rest.split_once("}}").map(|(target, _)| (at, target.trim()))
        })
        .collect()
}

/// The words of prose in `text`, mdBook's `{{#…}}` directives left out.
fn count_words(text: &str) -> usize {
    let mut words = 0;
    let mut rest = text;
    loop {
        let (before, after) = match rest.split_once("{{#") {
            Some((before, after)) => (before, after.split_once("}}").map(|(_, tail)| tail)),
            None => (rest, None),
        };
        words += before.split_whitespace().filter(|word| is_word(word)).count();
        match after {
            Some(tail) => rest = tail,
            None => return words,
        }
    }
}

fn is_word(token: &str) -> bool {
    token.chars().any(char::is_alphanumeric)
        && !token.starts_with("http://")
        && !token.starts_with("https://")
}

/// Distinct pages of the AWS documentation among `links`.
fn aws_links(links: &[Link]) -> usize {
    links
        .iter()
        .filter(|link| !link.image)
        .filter_map(|link| link.target.strip_prefix(AWS_DOCS))
        .map(|page| page.split(['#', '?']).next().unwrap_or(page))
        .collect::<BTreeSet<_>>()
        .len()
}

/// The `diagrams/NAME.svg` paths in some raw HTML, `<img src="…">`.
fn diagram_paths(html: &str) -> Vec<String> {
    html.match_indices("diagrams/")
        .filter_map(|(at, _)| {
            let name = html[at..].split(['"', '\'', ' ', '>']).next()?;
            name.ends_with(".svg").then(|| name.to_owned())
        })
        .collect()
}

// Reading the book.

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
        chapters.push(Chapter::parse(&name, &text));
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

// The rules.

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

/// The book's prose, all chapters together.
fn book_words(chapters: &[Chapter]) -> Option<String> {
    let words: usize = chapters.iter().map(|chapter| chapter.words).sum();
    (words < BOOK_MIN_WORDS)
        .then(|| format!("the book has {words} words of prose; it needs {BOOK_MIN_WORDS}"))
}

/// Includes whose file or anchor does not exist.
fn include_problems(source: &Path, chapter: &Chapter) -> Vec<String> {
    chapter
        .includes
        .iter()
        .filter_map(|include| check_target(source, &include.target).err())
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

/// Includes from `solutions/` outside a collapsed try-first block, such
/// blocks placed before the exercise, and includes from `days/`.
fn spoilers(chapter: &Chapter) -> Vec<String> {
    let try_first = |summary: &str| summary.to_lowercase().contains("try first");
    let mut problems = Vec::new();
    for summary in &chapter.summaries {
        if try_first(&summary.text) && !chapter.after_heading(summary.place, "Your turn") {
            problems.push((
                summary.place.line,
                "a try-first block before `## Your turn`: the solution comes after the exercise"
                    .to_owned(),
            ));
        }
    }
    for include in &chapter.includes {
        let path = include.target.split(':').next().unwrap_or(&include.target);
        let under = |folder: &str| path.split('/').any(|part| part == folder);
        if under("solutions") && !include.details.iter().any(|summary| try_first(summary)) {
            problems.push((
                include.place.line,
                format!(
                    "{path} is a solution, included outside a collapsed \
                     \"Reference solution (try first!)\" block"
                ),
            ));
        }
        if under("days") {
            problems.push((
                include.place.line,
                format!(
                    "{path} is a student's file (they edit it; the book would show \
                     their code, or nothing): describe the exercise in `## Your turn` instead"
                ),
            ));
        }
    }
    problems.sort_by_key(|(line, _)| *line);
    problems.into_iter().map(|(line, problem)| format!("line {line}: {problem}")).collect()
}

/// «Day NN › Section» references, from the hints, the solutions (the TODO
/// comments the starters are generated from) and the book, that name no
/// heading of day NN's chapter. The starters in `days/` are not read: they
/// are generated from the solutions, and a student's edits are their own.
/// Outside the book, a reference is plain text, read as it is written.
fn broken_references(workspace: &Workspace, chapters: &[Chapter]) -> Vec<String> {
    let mut files = Vec::new();
    collect_files(&workspace.root.join("hints"), "md", &mut files);
    collect_files(&workspace.root.join("solutions"), "rs", &mut files);
    let mut references: Vec<(String, Vec<(String, String)>)> = files
        .iter()
        .filter_map(|file| {
            let text = std::fs::read_to_string(file).ok()?;
            Some((workspace.relative(file), section_references(&text)))
        })
        .collect();
    let source = workspace.root.join("book/src");
    references.extend(chapters.iter().map(|chapter| {
        (workspace.relative(&source.join(&chapter.name)), chapter.references.clone())
    }));
    let mut problems = Vec::new();
    for (file, references) in references {
        for (day, section) in references {
            // A heading's text is read without its markup: so is the section.
            let plain = section.replace('`', "");
            let chapter = chapters.iter().find(|c| c.day_number() == Some(day.as_str()));
            if !chapter.is_some_and(|c| c.has_heading(&plain)) {
                problems.push(format!(
                    "{file}: «Day {day} › {section}» names no heading of day {day}'s chapter"
                ));
            }
        }
    }
    problems
}

/// The Spanish edition's «Día NN › Sección» references, in the Spanish hints
/// (`hints/es/`) and in the book's catalogue (`book/po/es.po`, in «…» and
/// in link texts): each names a heading of that day's chapter as the Spanish
/// edition has it, the heading's translation in the catalogue.
fn broken_spanish_references(workspace: &Workspace, chapters: &[Chapter]) -> Vec<String> {
    let catalogue_file = workspace.root.join("book/po/es.po");
    // No catalogue (or an unreadable one): `xtask translations check` says so.
    let Some(catalogue) = pitlane_course::translations::parse(&catalogue_file) else {
        return Vec::new();
    };
    let plain = |text: &str| text.replace('`', "");
    let mut spanish: HashMap<String, String> = HashMap::new();
    let mut texts = vec![(workspace.relative(&catalogue_file), String::new())];
    for message in catalogue.messages() {
        let (Ok(msgstr), true) = (message.msgstr(), message.is_translated()) else { continue };
        spanish.insert(plain(message.msgid()), plain(msgstr));
        texts[0].1.push_str(msgstr);
        texts[0].1.push('\n');
    }
    let mut files = Vec::new();
    collect_files(&workspace.root.join("hints/es"), "md", &mut files);
    for file in files {
        texts.push((workspace.relative(&file), std::fs::read_to_string(&file).unwrap_or_default()));
    }
    let mut problems = Vec::new();
    for (file, text) in texts {
        for (day, section) in spanish_references(&text) {
            let chapter = chapters.iter().find(|c| c.day_number() == Some(day.as_str()));
            let headings: Vec<&String> = chapter
                .into_iter()
                .flat_map(|c| &c.headings)
                .filter_map(|heading| spanish.get(&heading.text))
                .collect();
            if !headings.iter().any(|heading| **heading == plain(&section)) {
                problems.push(format!(
                    "{file}: «Día {day} › {section}» names no heading of day {day}'s chapter in \
                     Spanish (its headings' translations in book/po/es.po)"
                ));
            }
        }
    }
    problems
}

/// `Día NN › Sección` references, ended by `»` or `]`, across line breaks
/// (anywhere in them: the text is read with its spaces collapsed).
fn spanish_references(text: &str) -> Vec<(String, String)> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.split("Día ")
        .skip(1)
        .filter_map(|rest| {
            let (day, rest) = (rest.get(..2)?, rest.get(2..)?);
            let section = rest.strip_prefix(" › ")?;
            let end = section.find(['»', ']'])?;
            let section = section[..end].split_whitespace().collect::<Vec<_>>().join(" ");
            day.bytes().all(|b| b.is_ascii_digit()).then(|| (day.to_owned(), section))
        })
        .collect()
}

/// Links from one chapter to another (`day03-read-shard.md#where-to-start`,
/// or `#fragment` within the chapter) whose chapter or heading does not
/// exist.
fn broken_links(chapters: &[Chapter]) -> Vec<String> {
    let mut problems = Vec::new();
    for chapter in chapters {
        for link in &chapter.links {
            let target = link.target.as_str();
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() { chapter.name.as_str() } else { file };
            if !file.ends_with(".md") || file.contains('/') {
                continue; // not a link between chapters
            }
            let Some(linked) = chapters.iter().find(|c| c.name == file) else {
                problems.push(format!("{}: links to {file}, which does not exist", chapter.name));
                continue;
            };
            if fragment.is_empty() {
                continue;
            }
            match linked.headings.iter().find(|h| h.id == fragment) {
                None => problems.push(format!(
                    "{}: links to {file}#{fragment}, but {file} has no heading with that id",
                    chapter.name
                )),
                // The Spanish edition's ids come from the Spanish text: only
                // an explicit id reaches the same heading in both.
                Some(heading) if !heading.explicit => problems.push(format!(
                    "{}: links to {file}#{fragment}, an id made from the English heading \
                     {:?}; write it `{{#{fragment}}}` after the heading, so that the link \
                     works in the Spanish edition too",
                    chapter.name, heading.text
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

/// `` `file.rs::name` `` mentions whose file has no `fn name(`.
fn missing_tests(workspace: &Workspace, chapters: &[Chapter]) -> Vec<String> {
    let mut problems = Vec::new();
    for chapter in chapters {
        for (file, name) in chapter.inline_code.iter().filter_map(|code| test_mention(code)) {
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

/// `(file, function)` if inline `code` is `some/file.rs::function`.
fn test_mention(code: &str) -> Option<(&str, &str)> {
    let (file, name) = code.split_once(".rs::")?;
    let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (name_ok && !file.contains(' ')).then(|| (&code[..file.len() + 3], name))
}

/// `ANCHOR: name` lines in the Rust sources (solutions, suites, crates) that
/// no chapter includes: a stale marker left by a move or a rename, which
/// the next reader takes for a place the book shows. (`days/` is left out:
/// its anchors are the solutions', copied by the generator.)
fn unused_anchors(workspace: &Workspace, source: &Path, chapters: &[Chapter]) -> Vec<String> {
    let mut included = BTreeSet::new();
    for include in chapters.iter().flat_map(|chapter| &chapter.includes) {
        if let Some((path, anchor)) = include.target.split_once(':')
            && let Ok(file) = source.join(path).canonicalize()
        {
            included.insert((file, anchor.to_owned()));
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

fn svg_files(source: &Path) -> Result<BTreeSet<String>> {
    svg_files_in(source, "diagrams")
}

/// The `.svg` files of `source/folder`, named `folder/name.svg`.
fn svg_files_in(source: &Path, folder: &str) -> Result<BTreeSet<String>> {
    let prefix = folder;
    let folder = source.join(folder);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Ok(BTreeSet::new());
    };
    Ok(entries
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".svg"))
        .map(|name| format!("{prefix}/{name}"))
        .collect())
}

/// Diagrams shown but missing, present but shown nowhere, without a
/// viewBox; too few diagrams.
fn diagram_problems(source: &Path, chapters: &[Chapter]) -> Result<Vec<String>> {
    let files = svg_files(source)?;
    let referenced: BTreeSet<String> =
        chapters.iter().flat_map(|chapter| chapter.diagrams.iter().cloned()).collect();
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
    // The Spanish edition shows its own copy of each diagram, with the same
    // name (scripts/book.sh), and nothing else.
    let spanish: BTreeSet<String> = svg_files_in(source, "diagrams/es")?
        .iter()
        .map(|file| file.replacen("diagrams/es/", "diagrams/", 1))
        .collect();
    for untranslated in files.difference(&spanish) {
        let name = untranslated.trim_start_matches("diagrams/");
        problems.push(format!("{untranslated} has no Spanish copy, diagrams/es/{name}"));
    }
    for orphan in spanish.difference(&files) {
        let name = orphan.trim_start_matches("diagrams/");
        problems.push(format!("diagrams/es/{name} is the copy of no diagram"));
    }
    if files.len() < BOOK_MIN_DIAGRAMS {
        problems.push(format!("{} diagrams; the book needs {BOOK_MIN_DIAGRAMS}", files.len()));
    }
    Ok(problems)
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

    fn parse(text: &str) -> Chapter {
        Chapter::parse("a.md", text)
    }

    fn targets(chapter: &Chapter) -> Vec<(usize, &str)> {
        chapter.includes.iter().map(|i| (i.place.line, i.target.as_str())).collect()
    }

    fn heading_texts(chapter: &Chapter) -> Vec<&str> {
        chapter.headings.iter().map(|h| h.text.as_str()).collect()
    }

    /// A scratch folder, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let root = std::env::temp_dir().join(format!("pitlane-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(&root).unwrap();
            Self(root)
        }

        fn write(&self, path: &str, text: &str) {
            let path = self.0.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn finds_include_targets() {
        let text = "a\n```rust\n{{#include ../../x.rs:anchor}}\n```\n{{#include ../y.md}}\n\n\
                    <div>\n{{#include ../z_1.rs}}\n</div>\n";
        assert_eq!(
            targets(&parse(text)),
            [(3, "../../x.rs:anchor"), (5, "../y.md"), (8, "../z_1.rs")]
        );
    }

    #[test]
    fn a_missing_anchor_is_reported() {
        let folder = Scratch::new("book");
        folder.write("code.rs", "// ANCHOR: here\nfn x() {}\n// ANCHOR_END: here\n");
        let folder = &folder.0;

        assert!(check_target(folder, "code.rs:here").is_ok());
        assert!(check_target(folder, "code.rs:6:").is_ok());
        assert!(check_target(folder, "code.rs").is_ok());
        assert!(check_target(folder, "code.rs:gone").unwrap_err().contains("no anchor \"gone\""));
        assert!(check_target(folder, "nope.rs").unwrap_err().contains("does not exist"));

        let chapter = parse("```rust\n{{#include code.rs:here}}\n{{#include code.rs:gone}}\n```\n");
        let problems = include_problems(folder, &chapter);
        assert_eq!(problems, ["code.rs has no anchor \"gone\" (ANCHOR: / ANCHOR_END: lines)"]);
    }

    const SOLUTION: &str = "```rust\n{{#include ../../solutions/day01-x/src/lib.rs:f}}\n```\n";

    fn try_first(body: &str) -> String {
        format!(
            "<details>\n<summary>Reference solution (try first!)</summary>\n\n{body}\n</details>\n"
        )
    }

    fn spoilers_in(text: &str) -> Vec<String> {
        spoilers(&parse(text))
    }

    #[test]
    fn a_solution_is_shown_only_collapsed_after_the_exercise() {
        let good = format!("# Day\n## Your turn\nWrite it.\n{}", try_first(SOLUTION));
        assert_eq!(spoilers_in(&good), Vec::<String>::new());

        let inline = format!("# Day\n## The idea\n{SOLUTION}## Your turn\n");
        let problems = spoilers_in(&inline);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("line 4: ../../solutions/day01-x/src/lib.rs is a solution")
        );

        let early = format!("# Day\n{}## Your turn\n", try_first(SOLUTION));
        let problems = spoilers_in(&early);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("line 3: a try-first block before `## Your turn`"));

        let other_block =
            format!("## Your turn\n<details>\n<summary>Answer</summary>\n{SOLUTION}</details>\n");
        assert_eq!(spoilers_in(&other_block).len(), 1, "an answer block is not a try-first block");

        let after_block = format!("## Your turn\n{}{SOLUTION}", try_first(""));
        assert_eq!(spoilers_in(&after_block).len(), 1, "the block closed before the include");

        let inline_summary = format!(
            "## Your turn\n\n<details>\n\n<summary>Reference <em>solution</em> (try first!)</summary>\n\n{SOLUTION}\n</details>\n"
        );
        assert_eq!(spoilers_in(&inline_summary), Vec::<String>::new());
    }

    #[test]
    fn an_include_from_a_students_day_is_refused() {
        let text = "## Your turn\n```rust\n{{#include ../../days/day01-x/src/lib.rs:f}}\n```\n";
        assert!(
            spoilers_in(text)[0]
                .starts_with("line 3: ../../days/day01-x/src/lib.rs is a student's file")
        );
        let test = "```rust\n{{#include ../../suites/day01-x/mod.rs:t}}\n```\n";
        assert_eq!(spoilers_in(test), Vec::<String>::new(), "the suite's tests may be shown");
    }

    #[test]
    fn headings_inside_code_blocks_are_not_headings() {
        let text = "# Day\n````markdown\n## Your turn\n```\n## Still code\n```\n````\n## Recap\n\
                    #not a heading\n\n    ## indented code\n\n### Deep *one*\n~~~\n# Tilde code\n~~~\n";
        let chapter = parse(text);
        assert_eq!(heading_texts(&chapter), ["Day", "Recap", "Deep one"]);
        assert_eq!(chapter.headings[2].level, 3);
        assert!(!chapter.figures().has_your_turn, "`## Your turn` in a code block is no exercise");
    }

    #[test]
    fn prose_is_counted_outside_code_tags_and_link_targets() {
        let text = "Two words.\n```rust\nlet not = prose;\n```\n{{#include ../x.rs}}\n\n\
                    <details><summary>Answer</summary>\n\n\
                    See [the guide](https://docs.aws.amazon.com/a/b.html) — now.\n\n\
                    `inline code`, **bold**ness <https://example.com/x> http://bare.example\n\n\
                    | a | b |\n|---|---|\n| c | d |\n";
        // "Two words." + "Answer" + "See the guide now." ("—" is no word) +
        // "inline code," "boldness" + the table's four cells.
        assert_eq!(parse(text).words, 2 + 1 + 4 + 3 + 4);
        assert_eq!(count_words("a {{#include x.rs}} b {{#title T}}"), 2);
    }

    #[test]
    fn practice_questions_and_answers_are_counted_in_their_section() {
        let text = "## Idea\n1. Not a question.\n## Practice questions\n\n1. Why?\n\n   <details>\n   \
                    <summary>Answer</summary>\n\n   Because.\n\n   </details>\n\n2. How?\n\n   \
                    1. A nested list is no question.\n\n\
                    10. And?\n   <details>\n   <summary>Answer</summary>\n   </details>\n\n### Aside\n\
                    <details>\n<summary>Answer</summary>\n</details>\n\n## AWS documentation\n\
                    1. Not a question either.\n<details>\n<summary>Answer</summary>\n</details>\n";
        let figures = parse(text).figures();
        assert_eq!((figures.questions, figures.answers), (3, 3));
    }

    #[test]
    fn aws_links_are_counted_once_each() {
        let text = "[a](https://docs.aws.amazon.com/x.html) [b](https://docs.aws.amazon.com/x.html#y) \
                    [c][ref] [d](https://example.com/) `https://docs.aws.amazon.com/code.html`\n\n\
                    [ref]: https://docs.aws.amazon.com/z.html\n";
        assert_eq!(parse(text).figures().aws_links, 2);
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
    fn the_book_is_held_to_its_words() {
        let chapter = Chapter { words: BOOK_MIN_WORDS - 1, ..Chapter::default() };
        assert!(book_words(&[chapter]).unwrap().contains("19999 words"));
        let chapter = Chapter { words: BOOK_MIN_WORDS, ..Chapter::default() };
        assert_eq!(book_words(&[chapter]), None);
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
        let chapter = parse(
            "See «Day 03 › When\nis a *reader* `done`?».\n\n```rust\n// «Day 04 › Code»\n```\n",
        );
        assert_eq!(
            chapter.references,
            [
                ("03".to_owned(), "When is a reader done?".to_owned()),
                ("04".to_owned(), "Code".to_owned())
            ]
        );
    }

    #[test]
    fn a_reference_to_no_heading_is_reported() {
        let root = Scratch::new("references");
        root.write("hints/day01.md", "See «Day 01 › Where to start».\nAnd «Day 01 › Nowhere».\n");
        root.write(
            "solutions/day01-x/src/lib.rs",
            "//~ «Day 01 › The `GetRecords` loop»\n//~ «Day 02 › Gone»\n",
        );
        let workspace = Workspace::at(root.0.clone());
        let chapters = [
            Chapter::parse(
                "day01-x.md",
                "# Day 01\n## Where to start\n## The `GetRecords` loop\n«Day 01 › Recap»\n",
            ),
            Chapter::parse("glossary.md", "«Day 01 › Where to start»\n"),
        ];
        assert_eq!(
            broken_references(&workspace, &chapters),
            [
                "hints/day01.md: «Day 01 › Nowhere» names no heading of day 01's chapter",
                "solutions/day01-x/src/lib.rs: «Day 02 › Gone» names no heading of day 02's chapter",
                "book/src/day01-x.md: «Day 01 › Recap» names no heading of day 01's chapter",
            ]
        );
    }

    #[test]
    fn heading_ids_are_mdbooks() {
        let text = "# Day 03 — read a shard\n## Where to start?\n## `GetRecords`, page by page\n\
                    ## Recap\n## Recap\n## Custom {#mine}\n## Snake_case and-dashes\n";
        let chapter = parse(text);
        let ids: Vec<&str> = chapter.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "day-03--read-a-shard",
                "where-to-start",
                "getrecords-page-by-page",
                "recap",
                "recap-1",
                "mine",
                "snake_case-and-dashes",
            ]
        );
    }

    #[test]
    fn links_between_chapters_name_real_headings() {
        let chapters = [
            Chapter::parse(
                "a.md",
                "# A {#a}\n[ok](b.md#where-to-start) [ok](b.md) [self](#a) [web](https://x.y/b.md#no)\n\
                 [gone](b.md#nowhere) [missing](c.md) ![img](diagrams/x.svg) [ref][r]\n\
                 [english](b.md#english-only)\n\
                 ```\n[code](b.md#not-checked)\n```\n`[inline code](b.md#not-a-link)`\n\n\
                 [r]: b.md#by-reference\n",
            ),
            Chapter::parse("b.md", "# B\n## Where to start {#where-to-start}\n## English only\n"),
        ];
        assert_eq!(
            broken_links(&chapters),
            [
                "a.md: links to b.md#nowhere, but b.md has no heading with that id",
                "a.md: links to c.md, which does not exist",
                "a.md: links to b.md#by-reference, but b.md has no heading with that id",
                "a.md: links to b.md#english-only, an id made from the English heading \"English \
                 only\"; write it `{#english-only}` after the heading, so that the link works in \
                 the Spanish edition too",
            ]
        );
    }

    #[test]
    fn a_link_inside_inline_code_is_no_link() {
        let chapter = parse("`[x](nope.md)` and ``[y](also-not.md#z)``\n");
        assert!(chapter.links.is_empty(), "{:?}", chapter.links);
        assert_eq!(chapter.inline_code, ["[x](nope.md)", "[y](also-not.md#z)"]);
    }

    #[test]
    fn tests_named_in_the_book_are_found() {
        let root = Scratch::new("tests");
        root.write("crates/esm/tests/esm.rs", "#[test]\nfn exhausted_retries() {}\n");
        let workspace = Workspace::at(root.0.clone());
        let text = "| retries | `crates/esm/tests/esm.rs::exhausted_retries` |\n|---|---|\n\
                    | gone | `crates/esm/tests/esm.rs::vanished` |\n\n`a.rs::b c` and `plain code`\n\
                    ```\ncrates/esm/tests/esm.rs::in_a_code_block\n```\n";
        let chapters = [parse(text)];
        assert_eq!(
            test_mention("crates/esm/tests/esm.rs::x"),
            Some(("crates/esm/tests/esm.rs", "x"))
        );
        assert_eq!(test_mention("a.rs::b c"), None);
        assert_eq!(
            missing_tests(&workspace, &chapters),
            ["a.md: names the test crates/esm/tests/esm.rs::vanished, which does not exist"]
        );
    }

    #[test]
    fn diagram_references_are_found_in_images_and_html() {
        let text = "![Ring](diagrams/hash-ring.svg) <img src=\"diagrams/esm-flow.svg\"> diagrams/notes.txt\n\n\
                    <figure>\n<img alt=\"x\"\n     src='diagrams/block.svg'>\n</figure>\n";
        let found: Vec<String> = parse(text).diagrams.into_iter().collect();
        assert_eq!(
            found,
            ["diagrams/block.svg", "diagrams/esm-flow.svg", "diagrams/hash-ring.svg"]
        );
    }

    #[test]
    fn diagrams_are_shown_and_exist() {
        let source = Scratch::new("diagrams");
        source.write("diagrams/shown.svg", "<svg viewBox=\"0 0 1 1\"/>");
        source.write("diagrams/unshown.svg", "<svg/>");
        source.write("diagrams/es/shown.svg", "<svg viewBox=\"0 0 1 1\"/>");
        source.write("diagrams/es/gone.svg", "<svg viewBox=\"0 0 1 1\"/>");
        let chapters = [parse("![a](diagrams/shown.svg) ![b](diagrams/missing.svg)\n")];
        assert_eq!(
            diagram_problems(&source.0, &chapters).unwrap(),
            [
                "diagrams/missing.svg is shown by a chapter but does not exist",
                "diagrams/unshown.svg is not shown by any chapter",
                "diagrams/unshown.svg has no viewBox (it would not scale with the page)",
                "diagrams/unshown.svg has no Spanish copy, diagrams/es/unshown.svg",
                "diagrams/es/gone.svg is the copy of no diagram",
                "2 diagrams; the book needs 10",
            ]
        );
    }

    #[test]
    fn an_anchor_no_chapter_includes_is_reported() {
        let root = Scratch::new("anchors");
        let code = "// ANCHOR: shown\nfn a() {}\n// ANCHOR_END: shown\n    // ANCHOR: stale\nfn b() {}\n\
                    // ANCHOR_END: stale\n/// not a marker: // ANCHOR: prose\n";
        root.write("crates/x/lib.rs", code);
        root.write("book/src/.keep", "");
        let workspace = Workspace::at(root.0.clone());
        let source = root.0.join("book/src");

        let shown = parse("```rust\n{{#include ../../crates/x/lib.rs:shown}}\n```\n");
        let problems = unused_anchors(&workspace, &source, &[shown]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("crates/x/lib.rs: ANCHOR \"stale\""), "{problems:?}");

        let both = parse(
            "{{#include ../../crates/x/lib.rs:shown}}\n{{#include ../../crates/x/lib.rs:stale}}\n",
        );
        assert!(unused_anchors(&workspace, &source, &[both]).is_empty());
    }

    #[test]
    fn spanish_references_end_at_their_quote_or_link_and_may_wrap() {
        let text = "Lee «Día 07 › Aceptar y contar\n  en un solo paso» y [Día\n09 › La escalera de \
                    reintentos](day09.md#x); «Día 1x › no» «Día 03 › sin cierre";
        assert_eq!(
            spanish_references(text),
            [
                ("07".to_owned(), "Aceptar y contar en un solo paso".to_owned()),
                ("09".to_owned(), "La escalera de reintentos".to_owned()),
            ]
        );
    }
}
