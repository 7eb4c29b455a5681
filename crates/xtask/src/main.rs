//! `xtask`: the course's authors' tool, called by the `just` recipes (`just
//! gen`, `verify`, `book`, and `test`'s list of packages).
//!
//! ```text
//! xtask gen [DAY]     write the starters (all, or day DAY's) from their solutions
//! xtask verify        prove every starter is generated and fails its suite, and
//!                     every solution passes it
//! xtask check-book    the rules of book/AUTHORING.md that a program can check
//! xtask packages      the packages `just test` builds and lints (not the days
//!                     holding a student's work)
//! xtask translations check|update POT PO
//!                     a translation of the book complete, or brought up to date
//! xtask mutants [DAY…] each day's cargo-mutants score and lesson mutants
//! xtask lessons [DAY…] [--check]
//!                     each day's lesson mutants fail their tests (or still apply)
//! ```
//!
//! Students never need it: their commands are the runner's (`crates/runner`).
//! Both use the course's model (`crates/course`). `mutants` and `lessons`
//! hand over to `scripts/mutants.sh` and `scripts/lessons.sh`: they drive
//! git, patch and cargo-mutants, which a shell script says best; xtask is
//! only their door, so that `xtask --help` lists every author's command.

mod book;
mod packages;
mod pristine;
mod translations;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use pitlane_course::{Day, Workspace, generate};

/// The course's authors' tool: starters, proof, the book's rules.
#[derive(Parser)]
#[command(name = "xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the starters in days/ (all, or day DAY's) from their solutions.
    Gen { day: Option<String> },
    /// Prove every starter is generated and fails its suite, and every
    /// solution passes it.
    Verify,
    /// Check the rules of book/AUTHORING.md that a program can check, and
    /// print the book's figures.
    CheckBook,
    /// The packages `just test` builds and lints, one per line: not the days
    /// holding a student's work.
    Packages,
    /// Each day's share of cargo-mutants' mutants its suite catches (want ≥ 95 %),
    /// then its lesson mutants (scripts/mutants.sh; slow).
    Mutants {
        /// The days (all when none), e.g. 02 07.
        days: Vec<String>,
    },
    /// Each day's lesson mutants (suites/dayNN-*/lessons/) fail their tests
    /// (scripts/lessons.sh).
    Lessons {
        /// The days (all when none).
        days: Vec<String>,
        /// Only check that every patch still applies to its solution.
        #[arg(long)]
        check: bool,
    },
    /// The book's translation catalogue (book/po/LANG.po) against the English.
    Translations {
        #[command(subcommand)]
        action: Translations,
    },
}

#[derive(Subcommand)]
enum Translations {
    /// Fail unless every message of the English has its translation, not fuzzy.
    Check(Catalogues),
    /// Merge the template into the catalogue, as msgmerge does.
    Update(Catalogues),
}

#[derive(clap::Args)]
struct Catalogues {
    /// The template extracted from the English book (mdbook-xgettext).
    template: PathBuf,
    /// The language's catalogue (book/po/es.po).
    catalogue: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result =
        Workspace::find().map_err(anyhow::Error::from).and_then(|workspace| match cli.command {
            Command::Gen { day } => generate_starters(&workspace, day.as_deref()),
            Command::Verify => verify::run(&workspace),
            Command::CheckBook => book::run(&workspace),
            Command::Packages => packages::run(&workspace),
            Command::Mutants { days } => script(&workspace, "scripts/mutants.sh", &days),
            Command::Lessons { mut days, check } => {
                if check {
                    days.insert(0, "--check".to_owned());
                }
                script(&workspace, "scripts/lessons.sh", &days)
            }
            Command::Translations { action: Translations::Check(files) } => {
                translations::check(&files.template, &files.catalogue)
            }
            Command::Translations { action: Translations::Update(files) } => {
                translations::update(&files.template, &files.catalogue)
            }
        });
    result.unwrap_or_else(|error| {
        eprintln!("xtask: {error:#}");
        ExitCode::from(2)
    })
}

/// Runs one of the authors' scripts with `args`, in the checkout, its output
/// straight to the terminal; its exit status is this command's.
fn script(workspace: &Workspace, script: &str, args: &[String]) -> Result<ExitCode> {
    let status = std::process::Command::new(workspace.root.join(script))
        .args(args)
        .current_dir(&workspace.root)
        .status()
        .with_context(|| format!("running {script}"))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE, // ended by a signal
    })
}

fn generate_starters(workspace: &Workspace, day: Option<&str>) -> Result<ExitCode> {
    let days = workspace.days()?;
    let selected: Vec<&Day> = match day {
        Some(day) => vec![Day::select(&days, day)?],
        None => days.iter().collect(),
    };
    let written = generate::write_starters(workspace, &selected, &days)?;
    if let Some((folder, files)) = &written.saved {
        println!(
            "{} file(s) held work of your own; saved in {}/ first:",
            files.len(),
            folder.display()
        );
        for file in files {
            println!("  {}", file.display());
        }
    }
    for file in &written.changed {
        println!("wrote {}", file.display());
    }
    println!(
        "gen: {} starter(s) made from their solutions, {} file(s) changed; {} records them",
        selected.len(),
        written.changed.len(),
        generate::MANIFEST
    );
    Ok(ExitCode::SUCCESS)
}
