//! The course's model, shared by the student's runner (`crates/runner`,
//! `just check`, `watch`, `progress`, `hint`, `reset`) and the authors' tool
//! (`crates/xtask`, `just gen`, `verify`, `book`).
//!
//! - [`days`]: the days found on disk, and running a day's suite
//!   ([`days::Workspace::run_suite`]), read by [`report`];
//! - [`cache`]: verdicts remembered by a fingerprint of what they depend on,
//!   so that an unchanged day is not run again. Progress is never stored as
//!   such: it is whatever the tests say about the code there is now;
//! - [`hints`]: the tiered hints, and how far a student has read them;
//! - [`generate`]: the starter made from its solution (the marker
//!   transform, the starter's manifest) and the md5 record of what was
//!   generated; [`reset()`] uses it, with [`saved`] keeping the student's
//!   files first;
//! - [`lang`]: the student's language, English or Spanish, and
//!   [`translations`]: the book's Spanish catalogue, for the days' titles.
//!
//! Every fallible call returns this crate's [`Error`].

pub mod cache;
pub mod days;
mod error;
pub mod generate;
pub mod hints;
pub mod lang;
pub mod report;
mod reset;
pub mod saved;
pub mod translations;

pub use days::{Day, Output, TestRun, Workspace};
pub use error::{Error, Result};
pub use lang::Lang;
pub use reset::reset;
