//! `just gen` (`xtask gen`): every starter is derived from its solution.
//!
//! Authors edit one place: the solution crate in `solutions/dayNN-slug/`.
//! The starter in `days/dayNN-slug/` is what this module makes of it, and is
//! committed, so a student reads plain code with `TODO`s. Two markers, both
//! plain comments, say what differs:
//!
//! ```text
//! //~ TODO 1: the goal, and why          a line for the starter only: the
//! //~! Work through the TODOs ...         `~` is deleted, so it becomes
//!                                         `// TODO 1: ...` or `//! Work ...`
//! // solution: todo!("day 01: ...")      the lines up to `// end solution`
//! let request = ...;                      are the solution's only; the starter
//! // end solution                         gets what follows `solution:`
//!                                         instead (or nothing)
//! ```
//!
//! Everything else is copied as it is, with the solution's names turned into
//! the starter's (`day01-create-stream-solution` → `day01-create-stream`, in
//! code, docs and `Cargo.toml`, dependencies on earlier days included). So a
//! signature, a doc comment, a type or a book anchor changed in the solution
//! reaches the starter with `just gen`.
//!
//! A starter's `Cargo.toml` takes the workspace's lints with `unused` allowed:
//! until its `TODO`s are done a starter has parameters, imports and helpers it
//! does not use yet, and a screen of warnings about them would bury the
//! messages that matter.
//!
//! What the generator last wrote is recorded in `days/.starters.md5` (an
//! `md5sum` file). `xtask verify` compares the generator's output with it
//! (a solution changed without `just gen` fails, naming the file) and the
//! files in `days/` with it (a file that differs is the student's work, or in
//! CI, a starter edited by hand).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item};

use crate::days::{Day, Workspace};
use crate::error::{Error, Result, io, run};

/// The record of what the generator wrote, relative to the root.
pub const MANIFEST: &str = "days/.starters.md5";

/// Opens a solution-only region; what follows on the line is the starter's.
const REGION_START: &str = "// solution:";
/// Closes it.
const REGION_END: &str = "// end solution";
/// A line for the starter only.
const STARTER_ONLY: &str = "//~";

/// One file of a starter, as the generator makes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarterFile {
    /// Relative to the workspace root: `days/day01-create-stream/src/lib.rs`.
    pub path: PathBuf,
    /// The solution file it is made from, relative to the root.
    pub source: PathBuf,
    pub text: String,
}

impl StarterFile {
    pub fn digest(&self) -> String {
        digest(self.text.as_bytes())
    }
}

/// The md5 of `bytes`, as `md5sum` prints it.
pub fn digest(bytes: &[u8]) -> String {
    format!("{:x}", md5::compute(bytes))
}

/// A marker the generator cannot make sense of.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct GenError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

/// Every file of `day`'s starter, made from its solution.
pub fn starter(workspace: &Workspace, day: &Day, days: &[Day]) -> Result<Vec<StarterFile>> {
    let renames = Renames::for_day(workspace, day, days)?;
    let lints = starter_lints(&read_manifest_file(&workspace.root.join("Cargo.toml"))?);
    let mut files = Vec::new();
    for source in solution_files(&day.solution_dir)? {
        let relative = source.strip_prefix(&day.solution_dir).expect("found under the folder");
        let text = read(&source)?;
        let source_name = workspace.relative(&source);
        let text = if relative == Path::new("Cargo.toml") {
            starter_manifest(&text, &lints, &renames, Path::new(&source_name))?
        } else if relative.extension().is_some_and(|ext| ext == "rs") {
            let starter = starter_source(&text, Path::new(&source_name))?;
            rustfmt(workspace, &renames.apply(&starter), &source_name)?
        } else {
            renames.apply(&text)
        };
        files.push(StarterFile {
            path: Path::new("days").join(&day.slug).join(relative),
            source: PathBuf::from(source_name),
            text,
        });
    }
    Ok(files)
}

/// The solution's files that make the starter: everything in its folder but
/// `target/` and hidden files.
fn solution_files(folder: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(io("reading", folder))? {
        let path = entry.map_err(io("reading", folder))?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            files.extend(solution_files(&path)?);
        } else {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `text` formatted as `cargo fmt` would: the starter's names are shorter
/// than the solution's, so a line may fit where it did not.
fn rustfmt(workspace: &Workspace, text: &str, source: &str) -> Result<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--config-path"])
        .arg(workspace.root.join("rustfmt.toml"))
        .current_dir(&workspace.root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(run("rustfmt (`rustup component add rustfmt`)"))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = text.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(run("rustfmt"))?;
    writer.join().expect("the writer does not panic").map_err(run("rustfmt"))?;
    let stdout = String::from_utf8(output.stdout);
    match stdout {
        Ok(text) if output.status.success() => Ok(text),
        _ => Err(Error::Rustfmt {
            solution: PathBuf::from(source),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }),
    }
}

fn read(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).map_err(io("reading", file))
}

/// A `Cargo.toml`, parsed as a TOML document: its comments and layout are
/// kept, so what the generator writes from it reads like what an author
/// wrote.
fn parse_manifest(text: &str, file: &Path) -> Result<DocumentMut> {
    text.parse().map_err(|e: toml_edit::TomlError| manifest_error(file, e.to_string().trim_end()))
}

/// [`parse_manifest`] of the file at `file`.
pub fn read_manifest_file(file: &Path) -> Result<DocumentMut> {
    parse_manifest(&read(file)?, file)
}

fn manifest_error(file: &Path, message: &str) -> Error {
    Error::Manifest { file: file.to_owned(), message: message.to_owned() }
}

/// A solution's Rust source as the starter has it: the markers applied.
pub fn starter_source(text: &str, file: &Path) -> Result<String, GenError> {
    let error = |line: usize, message: &str| GenError {
        file: file.to_owned(),
        line,
        message: message.to_owned(),
    };
    let mut out = String::with_capacity(text.len());
    let mut open_region: Option<usize> = None;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let content = line.trim_end_matches(['\n', '\r']);
        let ending = &line[content.len()..];
        let trimmed = content.trim_start();
        let indent = &content[..content.len() - trimmed.len()];
        if let Some(start) = open_region {
            if trimmed == REGION_END {
                open_region = None;
            } else if trimmed.starts_with(REGION_START) {
                return Err(error(
                    number,
                    &format!("`{REGION_START}` inside the region opened on line {start}"),
                ));
            }
            continue;
        }
        if let Some(instead) = trimmed.strip_prefix(REGION_START) {
            open_region = Some(number);
            let instead = instead.trim();
            if !instead.is_empty() {
                out.push_str(indent);
                out.push_str(instead);
                out.push_str(ending);
            }
        } else if trimmed == REGION_END {
            return Err(error(number, &format!("`{REGION_END}` without `{REGION_START}`")));
        } else if let Some(rest) = trimmed.strip_prefix(STARTER_ONLY) {
            out.push_str(indent);
            out.push_str("//");
            out.push_str(rest);
            out.push_str(ending);
        } else {
            out.push_str(line);
        }
    }
    match open_region {
        Some(start) => {
            Err(error(start, &format!("`{REGION_START}` never closed by `{REGION_END}`")))
        }
        None => Ok(out),
    }
}

/// The solution's names and the starter's: the day's crates (every day's, so
/// that a dependency on an earlier day's solution becomes one on that day's
/// starter) and this day's binaries.
struct Renames(Vec<(String, String)>);

impl Renames {
    fn for_day(workspace: &Workspace, day: &Day, days: &[Day]) -> Result<Self> {
        let mut pairs = Vec::new();
        for other in days {
            pairs.push((other.solution_package(), other.starter_package()));
            pairs.push((
                other.solution_package().replace('-', "_"),
                other.starter_package().replace('-', "_"),
            ));
        }
        let manifest = day.solution_dir.join("Cargo.toml");
        for binary in binary_names(&read_manifest_file(&manifest)?) {
            let Some(starter_name) = binary.strip_suffix("-solution") else {
                return Err(manifest_error(
                    Path::new(&workspace.relative(&manifest)),
                    &format!(
                        "binary {binary:?} should end in `-solution` (the starter's drops it)"
                    ),
                ));
            };
            pairs.push((binary.clone(), starter_name.to_owned()));
        }
        // The longest first, so that no name is replaced inside a longer one.
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(Self(pairs))
    }

    fn apply(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (solution, starter) in &self.0 {
            if text.contains(solution.as_str()) {
                text = text.replace(solution.as_str(), starter);
            }
        }
        text
    }
}

/// The `name` of every `[[bin]]` table.
fn binary_names(manifest: &DocumentMut) -> Vec<String> {
    manifest
        .get("bin")
        .and_then(Item::as_array_of_tables)
        .into_iter()
        .flatten()
        .filter_map(|bin| bin.get("name")?.as_str().map(str::to_owned))
        .collect()
}

/// The `[lints]` tables of a starter: the workspace's
/// (`[workspace.lints.*]`), with `unused` allowed, as TOML text.
fn starter_lints(workspace_manifest: &DocumentMut) -> String {
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let lints = workspace_manifest
        .get("workspace")
        .and_then(|workspace| workspace.get("lints"))
        .and_then(Item::as_table_like);
    for (tool, table) in lints.into_iter().flat_map(|lints| lints.iter()) {
        let lines = tables.entry(tool.to_owned()).or_default();
        for (name, level) in table.as_table_like().into_iter().flat_map(|table| table.iter()) {
            // The value as written, without the spaces and comments around it.
            let mut level = level.clone();
            if let Some(value) = level.as_value_mut() {
                value.decor_mut().clear();
            }
            lines.push(format!("{} = {level}", toml_edit::Key::new(name)));
        }
    }
    tables.entry("rust".to_owned()).or_default().splice(
        0..0,
        [
            r#"unused = { level = "allow", priority = -1 }"#.to_owned(),
            // A forgotten `.await` or an ignored `Result` is a mistake,
            // not unfinished work: those still warn.
            r#"unused_must_use = "warn""#.to_owned(),
        ],
    );
    let mut out = String::from(
        "# The workspace's lints, with `unused` allowed: until its TODOs are done, a\n\
         # starter has parameters, imports and helpers it does not use yet, and a\n\
         # warning for each would bury the messages that matter. (A value that must\n\
         # be used, such as a future without `.await`, still warns.)\n",
    );
    for (index, (tool, lines)) in tables.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&format!("[lints.{tool}]\n"));
        for line in lines {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A solution's `Cargo.toml` as the starter has it: the starter's names, its
/// description saying "(starter)", and the workspace's lints written out in
/// place of `[lints] workspace = true` (last, where every solution has it).
fn starter_manifest(text: &str, lints: &str, renames: &Renames, source: &Path) -> Result<String> {
    let mut manifest = parse_manifest(text, source)?;
    let Some(table) = manifest.remove("lints") else {
        return Err(manifest_error(
            source,
            "it needs `[lints] workspace = true` (the starter's lints are made from it)",
        ));
    };
    let workspace_only = table.as_table_like().is_some_and(|table| {
        table.len() == 1 && table.get("workspace").and_then(Item::as_bool) == Some(true)
    });
    if !workspace_only {
        return Err(manifest_error(source, "its [lints] table must be `workspace = true`"));
    }
    if let Some(description) =
        manifest.get_mut("package").and_then(|package| package.get_mut("description"))
        && let Some(value) = description.as_value_mut()
        && let Some(text) = value.as_str()
    {
        let decor = value.decor().clone();
        *value = text.replace("(solution)", "(starter)").into();
        *value.decor_mut() = decor;
    }
    Ok(format!(
        "# Made from {} by the course's generator (`just gen`, for its authors).\n\
         # This is your day's crate: you may change it; `just reset` brings it back.\n\
         {}\n{lints}",
        source.display(),
        renames.apply(&manifest.to_string())
    ))
}

/// The generator's last output, from `days/.starters.md5`: path → md5.
pub fn read_manifest(workspace: &Workspace) -> Result<BTreeMap<PathBuf, String>> {
    let file = workspace.root.join(MANIFEST);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(err) => return Err(io("reading", &file)(err)),
    };
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (hash, path) = line
                .split_once("  ")
                .ok_or_else(|| Error::Record { file: file.clone(), line: line.to_owned() })?;
            Ok((PathBuf::from(path), hash.to_owned()))
        })
        .collect()
}

fn write_manifest(workspace: &Workspace, entries: &BTreeMap<PathBuf, String>) -> Result<()> {
    let mut text = String::new();
    for (path, hash) in entries {
        text.push_str(&format!("{hash}  {}\n", path.display()));
    }
    let file = workspace.root.join(MANIFEST);
    std::fs::write(&file, text).map_err(io("writing", &file))
}

/// What [`write_starters`] did.
#[derive(Debug, Default)]
pub struct Written {
    /// Files written (new or changed) or removed, relative to the root.
    pub changed: Vec<PathBuf>,
    /// Where the student's own files went before they were overwritten or
    /// removed, with the files, when there were any.
    pub saved: Option<(PathBuf, Vec<PathBuf>)>,
}

/// Writes the starters of `selected` (and records them in the manifest).
///
/// Nothing of a student's is lost: a file that is not what the generator
/// last wrote (their work), and a `.rs` file of theirs under `src/` or
/// `tests/` (which cargo would still compile), is first copied to
/// `.pitlane/saved/<day>-<time>/`. Starter files whose solution file is gone
/// are removed.
pub fn write_starters(workspace: &Workspace, selected: &[&Day], days: &[Day]) -> Result<Written> {
    let mut manifest = read_manifest(workspace)?;
    let mut written = Written::default();
    let mut to_save: Vec<PathBuf> = Vec::new();
    let mut to_remove: Vec<PathBuf> = Vec::new();
    let mut generated: Vec<(Vec<StarterFile>, PathBuf)> = Vec::new();
    for day in selected {
        let files = starter(workspace, day, days)?;
        let prefix = Path::new("days").join(&day.slug);
        for file in &files {
            let on_disk = std::fs::read(workspace.root.join(&file.path)).ok();
            let theirs = on_disk.as_deref().is_some_and(|bytes| {
                bytes != file.text.as_bytes()
                    && manifest.get(&file.path).is_none_or(|recorded| *recorded != digest(bytes))
            });
            if theirs {
                to_save.push(file.path.clone());
            }
        }
        for path in files_of_starter(workspace, &prefix) {
            if !files.iter().any(|file| file.path == path) {
                let recorded = manifest.get(&path);
                let on_disk = std::fs::read(workspace.root.join(&path)).ok();
                if recorded.is_none() || on_disk.as_deref().map(digest).as_ref() != recorded {
                    to_save.push(path.clone());
                }
                to_remove.push(path);
            }
        }
        generated.push((files, prefix));
    }
    if !to_save.is_empty() {
        let name = match selected {
            [day] => day.slug.as_str(),
            _ => "days",
        };
        written.saved = Some((crate::saved::save(workspace, name, &to_save)?, to_save));
    }
    for path in to_remove {
        let file = workspace.root.join(&path);
        std::fs::remove_file(&file).map_err(io("removing", &file))?;
        written.changed.push(path);
    }
    for (files, prefix) in generated {
        manifest.retain(|path, _| !path.starts_with(&prefix));
        for file in &files {
            let target = workspace.root.join(&file.path);
            if std::fs::read_to_string(&target).ok().as_deref() != Some(file.text.as_str()) {
                if let Some(folder) = target.parent() {
                    std::fs::create_dir_all(folder).map_err(io("creating", folder))?;
                }
                std::fs::write(&target, &file.text).map_err(io("writing", &target))?;
                written.changed.push(file.path.clone());
            }
            manifest.insert(file.path.clone(), file.digest());
        }
    }
    write_manifest(workspace, &manifest)?;
    Ok(written)
}

/// Every `.rs` file under a starter folder's `src/` and `tests/`, generated
/// or not (cargo compiles those whether or not anything names them).
/// Relative to the root.
fn files_of_starter(workspace: &Workspace, prefix: &Path) -> Vec<PathBuf> {
    fn walk(folder: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    for folder in ["src", "tests"] {
        walk(&workspace.root.join(prefix).join(folder), &mut found);
    }
    let mut files: Vec<PathBuf> = found
        .iter()
        .filter_map(|path| path.strip_prefix(&workspace.root).ok().map(Path::to_path_buf))
        .collect();
    files.sort();
    files
}

/// The days whose starters hold a student's work (a file differs from what
/// the generator recorded, or is gone), **and the days that build on one of
/// them**: a starter depends on earlier starters (see `crates/pitlane`), so a
/// student's half-done day 02 is in day 04's build too. Slugs, in order.
pub fn days_with_students_work(workspace: &Workspace, days: &[Day]) -> Result<Vec<String>> {
    let mut touched = days_edited(workspace, days)?;
    for day in days {
        if !touched.contains(&day.slug)
            && built_on(day, days).iter().any(|earlier| touched.contains(earlier))
        {
            touched.push(day.slug.clone());
        }
    }
    touched.sort();
    Ok(touched)
}

/// The days whose own starter files hold a student's work (a file differs
/// from what the generator recorded, is gone, or was added). Slugs, in order.
pub fn days_edited(workspace: &Workspace, days: &[Day]) -> Result<Vec<String>> {
    let manifest = read_manifest(workspace)?;
    if manifest.is_empty() {
        // No record of what was generated (the file was deleted): nothing can
        // be told apart, so every starter is treated as the student's.
        return Ok(days.iter().map(|day| day.slug.clone()).collect());
    }
    let mut touched: Vec<String> = Vec::new();
    for day in days {
        // A `.rs` file the student added: cargo compiles a new test file.
        let prefix = Path::new("days").join(&day.slug);
        if files_of_starter(workspace, &prefix).iter().any(|path| !manifest.contains_key(path)) {
            touched.push(day.slug.clone());
        }
    }
    for (path, recorded) in manifest {
        let on_disk = std::fs::read(workspace.root.join(&path)).ok();
        if on_disk.as_deref().map(digest).as_ref() != Some(&recorded)
            && let Some(slug) = path.iter().nth(1).and_then(|slug| slug.to_str())
            && !touched.iter().any(|known| known == slug)
        {
            touched.push(slug.to_owned());
        }
    }
    touched.sort();
    Ok(touched)
}

/// The slugs of the earlier days `day` builds on, directly or through
/// another day: the days its solution's manifest names as dependencies
/// (`day06-count-votes-solution.workspace = true`), and theirs. A manifest
/// that cannot be read names none.
pub fn built_on(day: &Day, days: &[Day]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut pending = vec![day];
    while let Some(next) = pending.pop() {
        let manifest = read_manifest_file(&next.solution_dir.join("Cargo.toml")).ok();
        let dependencies: Vec<&str> = ["dependencies", "dev-dependencies"]
            .into_iter()
            .filter_map(|table| manifest.as_ref()?.get(table)?.as_table_like())
            .flat_map(|table| table.iter().map(|(name, _)| name))
            .collect();
        for earlier in days.iter().filter(|earlier| earlier.number < next.number) {
            let named = dependencies.contains(&earlier.solution_package().as_str());
            if named && !found.contains(&earlier.slug) {
                found.push(earlier.slug.clone());
                pending.push(earlier);
            }
        }
    }
    found.sort();
    found
}

/// How a day's starter stands against its solution and against the manifest.
#[derive(Debug, Default)]
pub struct StarterState {
    /// Files the solution has changed since `just gen` last ran (or the
    /// manifest lists but the generator no longer makes).
    pub stale: Vec<String>,
    /// Files in `days/` that are not what the generator wrote: a student's
    /// work (or, in CI, a starter edited by hand).
    pub modified: Vec<PathBuf>,
    /// `.rs` files under the starter's `src/` or `tests/` that the generator
    /// does not make: a student's (or, in CI, an author's mistake).
    pub extra: Vec<PathBuf>,
    /// The starter as generated.
    pub files: Vec<StarterFile>,
}

pub fn state(workspace: &Workspace, day: &Day, days: &[Day]) -> Result<StarterState> {
    let manifest = read_manifest(workspace)?;
    let files = starter(workspace, day, days)?;
    let mut state = StarterState::default();
    for file in &files {
        match manifest.get(&file.path) {
            Some(recorded) if *recorded == file.digest() => {}
            Some(_) => state.stale.push(format!(
                "{} is not what `just gen {}` makes of {} now",
                file.path.display(),
                day.number,
                file.source.display()
            )),
            None => state.stale.push(format!(
                "{} (from {}) is not in {MANIFEST}",
                file.path.display(),
                file.source.display()
            )),
        }
        let on_disk = std::fs::read(workspace.root.join(&file.path)).ok();
        if on_disk.as_deref().map(digest) != Some(file.digest()) {
            state.modified.push(file.path.clone());
        }
    }
    let prefix = Path::new("days").join(&day.slug);
    for path in manifest.keys().filter(|path| path.starts_with(&prefix)) {
        if !files.iter().any(|file| &file.path == path) {
            state
                .stale
                .push(format!("{} is in {MANIFEST} but its solution file is gone", path.display()));
        }
    }
    state.extra = files_of_starter(workspace, &prefix)
        .into_iter()
        .filter(|path| !files.iter().any(|file| &file.path == path))
        .collect();
    state.files = files;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(text: &str) -> Result<String, GenError> {
        starter_source(text, Path::new("lib.rs"))
    }

    #[test]
    fn a_solution_region_becomes_what_its_marker_names() {
        let solution = "\
pub fn shards(n: i32) -> i32 {
    //~ TODO 1: the goal, and why.
    // solution: todo!(\"day 01: shards\")
    let doubled = n * 2;
    doubled
    // end solution
}
";
        let starter = "\
pub fn shards(n: i32) -> i32 {
    // TODO 1: the goal, and why.
    todo!(\"day 01: shards\")
}
";
        assert_eq!(generate(solution).unwrap(), starter);
    }

    #[test]
    fn starter_only_lines_keep_their_kind_of_comment() {
        let solution = "//! # Day 01\n//~!\n//~! Work through the TODOs.\n    //~/ A doc line.\n";
        assert_eq!(
            generate(solution).unwrap(),
            "//! # Day 01\n//!\n//! Work through the TODOs.\n    /// A doc line.\n"
        );
    }

    #[test]
    fn an_empty_marker_removes_the_region() {
        let solution = "use a;\n// solution:\nfn helper() {}\n// end solution\nuse b;\n";
        assert_eq!(generate(solution).unwrap(), "use a;\nuse b;\n");
    }

    #[test]
    fn unbalanced_markers_are_errors_that_name_the_line() {
        let open = generate("a\n    // solution: todo!()\nb\n").unwrap_err();
        assert_eq!((open.line, open.file.as_path()), (2, Path::new("lib.rs")));
        assert!(open.message.contains("never closed"), "{open}");
        let close = generate("a\n// end solution\n").unwrap_err();
        assert_eq!(close.line, 2);
        assert!(close.message.contains("without"), "{close}");
        let nested = generate("// solution:\n// solution: x\n// end solution\n").unwrap_err();
        assert_eq!(nested.line, 2);
        assert!(nested.to_string().starts_with("lib.rs:2: "), "{nested}");
    }

    #[test]
    fn everything_else_is_copied_byte_for_byte() {
        let text =
            "// ANCHOR: plan\nfn plan() {}\r\n// ANCHOR_END: plan\n/// ~ not a marker\nno newline";
        assert_eq!(generate(text).unwrap(), text);
    }

    #[test]
    fn the_starter_manifest_has_the_starter_names_and_lints() {
        let solution = "\
[package]
name = \"day09-retries-solution\"
description = \"Day 09 (solution): retries.\"

[[bin]]
name = \"reliable-votes-solution\"

[dependencies]
day07-votes-solution.workspace = true

[lints]
workspace = true
";
        let renames = Renames(vec![
            ("reliable-votes-solution".into(), "reliable-votes".into()),
            ("day09-retries-solution".into(), "day09-retries".into()),
            ("day07-votes-solution".into(), "day07-votes".into()),
        ]);
        let lints = starter_lints(
            &"[workspace.lints.rust]\nunsafe_code = \"forbid\" # a comment\n\n\
              [workspace.lints.clippy]\ndbg_macro = \"warn\"\n\n[profile.dev]\ndebug = 0\n"
                .parse()
                .unwrap(),
        );
        let source = Path::new("solutions/x/Cargo.toml");
        let starter = starter_manifest(solution, &lints, &renames, source).unwrap();
        assert!(
            starter.starts_with("# Made from solutions/x/Cargo.toml by the course's generator")
        );
        assert!(starter.contains("name = \"day09-retries\"\n"), "{starter}");
        assert!(starter.contains("description = \"Day 09 (starter): retries.\""), "{starter}");
        assert!(starter.contains("name = \"reliable-votes\"\n"), "{starter}");
        assert!(starter.contains("day07-votes.workspace = true"), "{starter}");
        assert!(!starter.contains("solution\""), "{starter}");
        assert!(starter.contains(
            "[lints.clippy]\ndbg_macro = \"warn\"\n\n[lints.rust]\n\
             unused = { level = \"allow\", priority = -1 }\nunused_must_use = \"warn\"\n\
             unsafe_code = \"forbid\"\n"
        ));
        assert!(!starter.contains("debug = 0"), "{starter}");

        assert!(
            starter.ends_with("day07-votes.workspace = true\n\n# The workspace's lints, with `unused` allowed: until its TODOs are done, a\n# starter has parameters, imports and helpers it does not use yet, and a\n# warning for each would bury the messages that matter. (A value that must\n# be used, such as a future without `.await`, still warns.)\n[lints.clippy]\ndbg_macro = \"warn\"\n\n[lints.rust]\nunused = { level = \"allow\", priority = -1 }\nunused_must_use = \"warn\"\nunsafe_code = \"forbid\"\n"),
            "{starter}"
        );

        let without = solution.replace("[lints]\nworkspace = true\n", "");
        let error = starter_manifest(&without, &lints, &renames, source).unwrap_err().to_string();
        assert!(error.starts_with("solutions/x/Cargo.toml: it needs `[lints]"), "{error}");
        let other = solution.replace("workspace = true\n", "workspace = false\n");
        let error = starter_manifest(&other, &lints, &renames, source).unwrap_err().to_string();
        assert!(error.contains("must be `workspace = true`"), "{error}");
        let broken = starter_manifest("[package\n", &lints, &renames, source).unwrap_err();
        assert!(broken.to_string().starts_with("solutions/x/Cargo.toml: "), "{broken}");
    }

    #[test]
    fn binary_names_come_from_bin_sections_only() {
        let manifest = "[package]\nname = \"a\"\n\n[[bin]]\nname = \"b-solution\"\npath = \"x\"\n\n\
                        [[test]]\nname = \"day01\"\n";
        assert_eq!(binary_names(&manifest.parse().unwrap()), vec!["b-solution".to_owned()]);
    }
}
