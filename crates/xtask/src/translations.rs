//! `xtask translations check|update`: the book's translations, kept complete.
//!
//! The book is written in English (`book/src/`) and translated with gettext,
//! as Comprehensive Rust is: mdbook-i18n-helpers' `mdbook-xgettext` extracts
//! every paragraph, heading, list item and table cell into a catalogue
//! template (`book/po/messages.pot`), and `book/po/es.po` holds the Spanish of
//! each. `mdbook-gettext` then builds the Spanish book from the English one.
//!
//! - `check` fails when a message of the English has no Spanish: new (an
//!   English sentence written or changed), untranslated, or fuzzy (a changed
//!   sentence whose old Spanish `update` carried over for review). So an
//!   English change without its Spanish fails `just book`, and CI.
//! - `update` merges a fresh template into the catalogue, as gettext's
//!   `msgmerge` does (which needs the gettext tools, not on every laptop): a
//!   message kept keeps its Spanish; a new one comes in untranslated, or,
//!   when it is a small change of a message that went away from the same
//!   chapter, with that message's Spanish marked fuzzy (the translator then
//!   edits it and removes the flag); messages no longer in the English go.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use polib::catalog::Catalog;
use polib::message::{Message, MessageFlags, MessageMutView, MessageView};

/// How many problems `check` names, before it only counts them.
const SHOWN: usize = 12;

/// The least share of words two versions of a sentence have in common for
/// `update` to carry the old translation over (as fuzzy).
const SIMILAR: f64 = 0.6;

fn read(file: &Path) -> Result<Catalog> {
    let parsed = pitlane_course::translations::parse(file);
    parsed.ok_or_else(|| {
        anyhow!(
            "{}: not a gettext catalogue this tool can read (is its header complete: \
             Project-Id-Version, POT-Creation-Date, PO-Revision-Date, Language-Team, \
             MIME-Version, Content-Type, Content-Transfer-Encoding, Language, Plural-Forms?)",
            file.display()
        )
    })
}

/// The first chapter a message comes from (`src/day01-create-stream.md`).
fn chapter(message: &dyn MessageView) -> &str {
    message.source().split_whitespace().next().unwrap_or("?")
}

/// Every message of `template` that `catalogue` does not translate, as
/// `(chapter, what is wrong, the English)`.
pub fn missing(template: &Catalog, catalogue: &Catalog) -> Vec<(String, &'static str, String)> {
    let mut found = Vec::new();
    for message in template.messages() {
        let problem = match catalogue.find_message(None, message.msgid(), None) {
            None => "new in the English",
            Some(translated) if translated.is_fuzzy() => "fuzzy (the English changed)",
            Some(translated) if !translated.is_translated() => "untranslated",
            Some(_) => continue,
        };
        found.push((chapter(message).to_owned(), problem, message.msgid().to_owned()));
    }
    found
}

pub fn check(template: &Path, catalogue: &Path) -> Result<ExitCode> {
    let name = catalogue.display();
    let (template, catalogue) = (read(template)?, read(catalogue)?);
    let missing = missing(&template, &catalogue);
    if missing.is_empty() {
        println!("{name}: all {} messages of the English book translated", template.count());
        return Ok(ExitCode::SUCCESS);
    }
    println!("{name}: {} of {} messages lack their translation:", missing.len(), template.count());
    for (chapter, problem, english) in missing.iter().take(SHOWN) {
        let english: String = english.chars().take(100).collect();
        println!("  {chapter}: {problem}: {english:?}");
    }
    if missing.len() > SHOWN {
        println!("  … and {} more", missing.len() - SHOWN);
    }
    println!(
        "`just translations` brings {name} up to date with the English (see book/AUTHORING.md, \
         \"Translations\"); then translate each message it lists and remove its `#, fuzzy` line."
    );
    Ok(ExitCode::FAILURE)
}

/// The words of a sentence, for [`similarity`]: without the punctuation
/// around them, in lower case.
fn words(text: &str) -> BTreeSet<String> {
    text.split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|word| !word.is_empty())
        .collect()
}

/// How alike two versions of a sentence are, from 0 to 1: the share of their
/// words they have in common (Jaccard), or, when the shorter has at least
/// [`EXTENDED`] words, the share of the shorter's words the longer keeps: a
/// sentence extended by a clause keeps its old translation as a start.
fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    let (common, union) = (a.intersection(&b).count(), a.union(&b).count());
    if union == 0 {
        return 0.0;
    }
    let jaccard = common as f64 / union as f64;
    let shorter = a.len().min(b.len());
    if shorter >= EXTENDED { jaccard.max(common as f64 / shorter as f64) } else { jaccard }
}

/// The fewest words a sentence has for an extended version of it to count
/// as a change of it (a heading of two words inside a long paragraph does not).
const EXTENDED: usize = 8;

/// `catalogue` brought up to date with `template` (see the module's notes).
pub fn merge(template: &Catalog, catalogue: &Catalog) -> Catalog {
    // The messages that went away, by chapter: candidates for a changed one.
    let mut gone: BTreeMap<&str, Vec<&dyn MessageView>> = BTreeMap::new();
    for old in catalogue.messages() {
        if template.find_message(None, old.msgid(), None).is_none() && old.is_translated() {
            gone.entry(chapter(old)).or_default().push(old);
        }
    }
    // (The header, as it was: CatalogMetadata has no Clone.)
    let metadata = polib::metadata::CatalogMetadata::parse(&catalogue.metadata.export_for_po())
        .unwrap_or_else(|_| polib::metadata::CatalogMetadata::new());
    let mut merged = Catalog::new(metadata);
    for message in template.messages() {
        let mut flags = MessageFlags::new();
        let msgstr = match catalogue.find_message(None, message.msgid(), None) {
            Some(kept) => {
                if kept.is_fuzzy() {
                    flags.add_flag("fuzzy");
                }
                kept.msgstr().unwrap_or_default().to_owned()
            }
            None => {
                let candidates = gone.get(chapter(message)).into_iter().flatten();
                let closest = candidates
                    .map(|old| (similarity(old.msgid(), message.msgid()), old))
                    .filter(|(score, _)| *score >= SIMILAR)
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                match closest {
                    Some((_, old)) => {
                        flags.add_flag("fuzzy");
                        old.msgstr().unwrap_or_default().to_owned()
                    }
                    None => String::new(),
                }
            }
        };
        let mut new = Message::build_singular()
            .with_source(message.source().to_owned())
            .with_comments(message.comments().to_owned())
            .with_msgid(message.msgid().to_owned())
            .with_msgstr(msgstr)
            .done();
        *new.flags_mut() = flags;
        merged.append_or_update(new);
    }
    merged
}

pub fn update(template: &Path, catalogue: &Path) -> Result<ExitCode> {
    let (template_messages, old) = (read(template)?, read(catalogue)?);
    let merged = merge(&template_messages, &old);
    polib::po_file::write(&merged, catalogue)
        .with_context(|| format!("writing {}", catalogue.display()))?;
    let missing = missing(&template_messages, &merged);
    let fuzzy = missing.iter().filter(|(_, problem, _)| problem.starts_with("fuzzy")).count();
    println!(
        "{}: {} messages; {} to translate, {fuzzy} of them carried over as fuzzy from a changed \
         sentence",
        catalogue.display(),
        merged.count(),
        missing.len()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use polib::metadata::CatalogMetadata;

    use super::*;

    fn catalogue(messages: &[(&str, &str, &str, bool)]) -> Catalog {
        let mut catalogue = Catalog::new(CatalogMetadata::new());
        for (source, msgid, msgstr, fuzzy) in messages {
            let mut message = Message::build_singular()
                .with_source(source.to_string())
                .with_msgid(msgid.to_string())
                .with_msgstr(msgstr.to_string())
                .done();
            if *fuzzy {
                message.flags_mut().add_flag("fuzzy");
            }
            catalogue.append_or_update(message);
        }
        catalogue
    }

    const A: &str = "src/day01.md";

    #[test]
    fn a_message_new_untranslated_or_fuzzy_is_missing_and_only_those() {
        let template = catalogue(&[
            (A, "One.", "", false),
            (A, "Two.", "", false),
            (A, "Three.", "", false),
            (A, "Four.", "", false),
        ]);
        let spanish = catalogue(&[
            (A, "One.", "Uno.", false),
            (A, "Two.", "", false),
            (A, "Three.", "Tres.", true),
            (A, "Gone.", "Ido.", false),
        ]);
        let found = missing(&template, &spanish);
        let problems: Vec<(&str, &str)> =
            found.iter().map(|(_, problem, english)| (*problem, english.as_str())).collect();
        assert_eq!(
            problems,
            [
                ("untranslated", "Two."),
                ("fuzzy (the English changed)", "Three."),
                ("new in the English", "Four.")
            ]
        );
    }

    #[test]
    fn a_changed_sentence_keeps_its_old_translation_as_fuzzy_and_a_new_one_comes_empty() {
        let template = catalogue(&[
            (A, "A shard takes 1,000 records a second.", "", false),
            (A, "A shard takes 1,000 records per second, or 1 MB.", "", false),
            (A, "Something else entirely.", "", false),
            (
                A,
                "It prints each shard with its range, and the boundary. Then more words follow here.",
                "",
                false,
            ),
        ]);
        let spanish = catalogue(&[
            (
                A,
                "A shard takes 1,000 records a second.",
                "Un shard acepta 1,000 registros por segundo.",
                false,
            ),
            (
                A,
                "A shard takes 1,000 records per second.",
                "Un shard acepta 1,000 registros por segundo (viejo).",
                false,
            ),
            ("src/other.md", "Something else.", "Otra cosa.", false),
            (
                A,
                "It prints each shard with its range, and the boundary.",
                "Imprime cada shard.",
                false,
            ),
        ]);
        let merged = merge(&template, &spanish);
        let get = |id: &str| merged.find_message(None, id, None).expect("in the merge");
        let kept = get("A shard takes 1,000 records a second.");
        assert!(kept.is_translated() && !kept.is_fuzzy());
        let changed = get("A shard takes 1,000 records per second, or 1 MB.");
        assert!(changed.is_fuzzy(), "a small change carries the old Spanish over, for review");
        assert_eq!(
            changed.msgstr().unwrap(),
            "Un shard acepta 1,000 registros por segundo (viejo)."
        );
        let extended = get(
            "It prints each shard with its range, and the boundary. Then more words follow here.",
        );
        assert!(extended.is_fuzzy(), "an extended sentence keeps its old Spanish, for review");
        let new = get("Something else entirely.");
        assert!(!new.is_translated(), "another chapter's message is not a candidate");
        assert!(merged.find_message(None, "Something else.", None).is_none(), "gone messages go");
        assert_eq!(missing(&template, &merged).len(), 3);
    }
}
