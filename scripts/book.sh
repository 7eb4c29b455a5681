#!/usr/bin/env bash
# The book, in English (book/build/) and in Spanish (book/build/es/).
#
#   scripts/book.sh build         check the book's rules and both editions' completeness, build both
#   scripts/book.sh translations  bring book/po/es.po up to date with the English (for authors)
#
# The Spanish edition is the English book translated with gettext, as
# Comprehensive Rust does it (mdbook-i18n-helpers, book/AUTHORING.md,
# "Translations"): `mdbook-xgettext` extracts every paragraph, heading, list
# item and table cell of the English into a template (book/po/messages.pot);
# book/po/es.po holds the Spanish of each; `mdbook-gettext`, a preprocessor
# named in book.toml, puts it in place at build time. A message without its
# Spanish (an English sentence added or changed) fails the build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mdbook="$root/.tools/venv/bin/mdbook"
# mdbook-gettext and mdbook-xgettext (installed by scripts/setup.sh), which
# mdbook finds on the PATH.
export PATH="$root/.tools/cargo/bin:$PATH"
xtask=(cargo run --quiet -p pitlane-xtask --)
mkdir -p .pitlane

# The template of the English as it is now. The includes stay directives
# (default preprocessors off): code is quoted from the sources, in English,
# in both editions, so it is not a message to translate.
extract() {
  rm -rf .pitlane/po
  MDBOOK_BUILD__USE_DEFAULT_PREPROCESSORS=false \
    MDBOOK_OUTPUT='{"xgettext": {"pot-file": "messages.pot", "granularity": 0}}' \
    "$mdbook" build book -d "$root/.pitlane/po" > .pitlane/xgettext.log 2>&1 \
    || { cat .pitlane/xgettext.log; exit 1; }
}

# `mdbook build` for one language (and its title, when not book.toml's); its
# warnings are errors.
build() {
  local language=$1 into=$2
  local settings=(MDBOOK_BOOK__LANGUAGE="$language")
  [[ -z "${3:-}" ]] || settings+=(MDBOOK_BOOK__TITLE="$3")
  env "${settings[@]}" \
    "$mdbook" build book -d "$into" > ".pitlane/book-$language.log" 2>&1 \
    || { cat ".pitlane/book-$language.log"; exit 1; }
  if grep -E "WARN|ERROR" ".pitlane/book-$language.log"; then exit 1; fi
}

case "${1:-build}" in
  build)
    extract
    # The template kept in the repository is the English of now (its
    # creation date aside): translators work from it.
    if ! diff -q <(grep -v '^"POT-Creation-Date:' .pitlane/po/messages.pot) \
                 <(grep -v '^"POT-Creation-Date:' book/po/messages.pot) > /dev/null; then
      echo "book/po/messages.pot is not the English book of now: \`just translations\` updates it (and book/po/es.po)" >&2
      exit 1
    fi
    "${xtask[@]}" translations check .pitlane/po/messages.pot book/po/es.po
    build en "$root/book/build"
    # A site published under a path (the Pages workflow sets it) has the
    # Spanish edition one folder down.
    if [[ -n "${MDBOOK_OUTPUT__HTML__SITE_URL:-}" ]]; then
      export MDBOOK_OUTPUT__HTML__SITE_URL="${MDBOOK_OUTPUT__HTML__SITE_URL%/}/es/"
    fi
    build es "$root/book/build/es" "Pitlane — streaming en tiempo real en AWS, con Rust"
    # The diagrams' labels in Spanish: book/src/diagrams/es/ holds each
    # diagram again, translated, under the same name.
    cp book/src/diagrams/es/*.svg book/build/es/diagrams/
    # The labels written as HTML, and mdBook's own interface, in Spanish.
    "$root/.tools/venv/bin/python" scripts/book_es.py book/build/es
    echo "book/build/index.html and book/build/es/index.html: built, every rule of book/AUTHORING.md kept, every message translated"
    ;;
  translations)
    extract
    cp .pitlane/po/messages.pot book/po/messages.pot
    "${xtask[@]}" translations update book/po/messages.pot book/po/es.po
    "${xtask[@]}" translations check book/po/messages.pot book/po/es.po || true
    ;;
  *)
    echo "usage: scripts/book.sh build | translations" >&2
    exit 2
    ;;
esac
