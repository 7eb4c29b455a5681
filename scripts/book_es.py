"""The Spanish edition's last words in Spanish (scripts/book.sh, after mdBook).

gettext translates every message of the chapters' Markdown (book/po/es.po).
Two kinds of text are not Markdown messages, and are translated here, in the
built pages of book/build/es/:

- the labels of the chapters' collapsed blocks, written as HTML
  (`<summary>Answer</summary>`): the answers of the practice questions and the
  reference solutions ("try first");
- mdBook's own interface (its search box, buttons, the keyboard help), which
  mdBook writes in English whatever the book's language.

A label of the first kind left in English fails the build: a new kind of
block needs its line in LABELS.
"""

import pathlib
import sys

LABELS = {
    "<summary>Answer</summary>": "<summary>Respuesta</summary>",
    "<summary>Reference solution (try first!)</summary>":
        "<summary>Solución de referencia (¡inténtalo primero!)</summary>",
}

INTERFACE = {
    'placeholder="Search this book ..."': 'placeholder="Buscar en este libro…"',
    'aria-label="Change theme"': 'aria-label="Cambiar el tema"',
    'title="Change theme"': 'title="Cambiar el tema"',
    'aria-label="Next chapter"': 'aria-label="Capítulo siguiente"',
    'title="Next chapter"': 'title="Capítulo siguiente"',
    'aria-label="Previous chapter"': 'aria-label="Capítulo anterior"',
    'title="Previous chapter"': 'title="Capítulo anterior"',
    'aria-label="Page navigation"': 'aria-label="Navegación entre páginas"',
    'aria-label="Print this book"': 'aria-label="Imprimir este libro"',
    'title="Print this book"': 'title="Imprimir este libro"',
    'aria-label="Table of contents"': 'aria-label="Índice"',
    'aria-label="Themes"': 'aria-label="Temas"',
    'aria-label="Toggle Searchbar"': 'aria-label="Mostrar u ocultar la búsqueda"',
    'title="Search (`/`)"': 'title="Buscar (`/`)"',
    'aria-label="Toggle Table of Contents"': 'aria-label="Mostrar u ocultar el índice"',
    'title="Toggle Table of Contents"': 'title="Mostrar u ocultar el índice"',
    '<h2 class="mdbook-help-title">Keyboard shortcuts</h2>':
        '<h2 class="mdbook-help-title">Atajos de teclado</h2>',
    "<p>Press <kbd>←</kbd> or <kbd>→</kbd> to navigate between chapters</p>":
        "<p>Presiona <kbd>←</kbd> o <kbd>→</kbd> para pasar de un capítulo a otro</p>",
    "<p>Press <kbd>S</kbd> or <kbd>/</kbd> to search in the book</p>":
        "<p>Presiona <kbd>S</kbd> o <kbd>/</kbd> para buscar en el libro</p>",
    "<p>Press <kbd>?</kbd> to show this help</p>": "<p>Presiona <kbd>?</kbd> para ver esta ayuda</p>",
    "<p>Press <kbd>Esc</kbd> to hide this help</p>": "<p>Presiona <kbd>Esc</kbd> para ocultarla</p>",
    'id="mdbook-theme-default_theme">Auto<': 'id="mdbook-theme-default_theme">Automático<',
    'id="mdbook-theme-light">Light<': 'id="mdbook-theme-light">Claro<',
}


def main(folder: str) -> int:
    spanish_labels = set(LABELS.values())
    left = []
    for page in sorted(pathlib.Path(folder).glob("*.html")):
        text = page.read_text(encoding="utf-8")
        for english, spanish in {**LABELS, **INTERFACE}.items():
            text = text.replace(english, spanish)
        page.write_text(text, encoding="utf-8")
        for label in text.split("<summary>")[1:]:
            label = "<summary>" + label.split("</summary>")[0] + "</summary>"
            if label not in spanish_labels:
                left.append(f"{page.name}: {label}")
    if left:
        print("book/build/es: labels without their Spanish (add them to scripts/book_es.py):", file=sys.stderr)
        for line in sorted(set(left)):
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
