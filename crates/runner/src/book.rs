//! `pitlane check-book`: every `{{#include}}` of the book points at a file
//! that exists and, when it names an anchor, at an anchor that exists.
//!
//! mdBook only warns about a missing file and silently includes nothing for
//! a missing anchor, so a renamed file or a moved anchor would leave a
//! chapter with an empty code block. This check makes that an error.

use std::path::Path;
use std::process::ExitCode;

use crate::days::Workspace;

pub fn run(workspace: &Workspace) -> Result<ExitCode, String> {
    let source = workspace.root.join("book/src");
    let mut problems = Vec::new();
    let mut includes = 0;
    let entries =
        std::fs::read_dir(&source).map_err(|e| format!("reading {}: {e}", source.display()))?;
    for entry in entries.flatten() {
        let chapter = entry.path();
        if chapter.extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&chapter)
            .map_err(|e| format!("reading {}: {e}", chapter.display()))?;
        for target in include_targets(&text) {
            includes += 1;
            if let Err(problem) = check_target(&source, target) {
                problems.push(format!("{}: {problem}", workspace.relative(&chapter)));
            }
        }
    }
    for problem in &problems {
        eprintln!("book: {problem}");
    }
    println!("book: {includes} includes checked, {} broken", problems.len());
    Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
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
}
