//! The book's Spanish catalogue (`book/po/es.po`, gettext), read once per
//! run: the runner takes the days' titles in Spanish from it, so that they
//! are the book's own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The catalogue's translated, not fuzzy messages, English → Spanish.
type Messages = HashMap<String, String>;

static CATALOGUE: OnceLock<(PathBuf, Messages)> = OnceLock::new();

/// The Spanish of the English `message`, when the catalogue of the checkout
/// at `root` has it (translated, not fuzzy).
pub fn spanish(root: &Path, message: &str) -> Option<String> {
    let (loaded_for, messages) = CATALOGUE.get_or_init(|| (root.to_owned(), load(root)));
    // One checkout per process; another one (tests) reads its own.
    if loaded_for != root {
        return load(root).get(message).cloned();
    }
    messages.get(message).cloned()
}

fn load(root: &Path) -> Messages {
    // No catalogue, or an unreadable one: no Spanish, the English stands.
    let Some(catalogue) = parse(&root.join("book/po/es.po")) else {
        return Messages::new();
    };
    catalogue
        .messages()
        .filter(|message| message.is_translated() && !message.is_fuzzy())
        .filter_map(|message| Some((message.msgid().to_owned(), message.msgstr().ok()?.to_owned())))
        .collect()
}

/// A gettext catalogue, or `None` when it cannot be read. polib 0.2 panics
/// (an `unwrap`) on a header that lacks one of gettext's standard fields: a
/// damaged catalogue must cost the Spanish titles, never the runner, so that
/// panic is caught here, quietly.
pub fn parse(file: &Path) -> Option<polib::catalog::Catalog> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let parsed = std::panic::catch_unwind(|| polib::po_file::parse(file).ok());
    std::panic::set_hook(hook);
    parsed.ok().flatten()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_damaged_catalogue_gives_no_spanish_and_no_panic() {
        let root = std::env::temp_dir().join(format!("pitlane-po-{}", std::process::id()));
        std::fs::create_dir_all(root.join("book/po")).unwrap();
        let header_only_language = "msgid \"\"\nmsgstr \"\"\n\"Language: es\\n\"\n\n\
                                    msgid \"Day 01 — hello\"\nmsgstr \"Día 01 — hola\"\n";
        std::fs::write(root.join("book/po/es.po"), header_only_language).unwrap();
        assert_eq!(super::load(&root).len(), 0);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
