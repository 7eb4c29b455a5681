"""An mdBook preprocessor: the generator's markers out of the book's code.

The book includes the reference solutions from `solutions/`, the one source
of each day, and those carry the starter generator's markers (see
crates/course/src/generate.rs): `//~ …` lines for the starter only, and the
`// solution: …` / `// end solution` lines around the solution's own code.
They mean nothing to a reader, so every line that is one of them is left out
of the chapters, after the includes are expanded (book.toml). The book's own
Markdown never writes them (the marker syntax is shown only in the README).

mdBook's protocol: `supports RENDERER` answers by its exit status; otherwise
the context and the book come as JSON on stdin, and the book goes back on
stdout.
"""

import json
import sys


def is_marker(line: str) -> bool:
    text = line.strip()
    return text.startswith("//~") or text.startswith("// solution:") or text == "// end solution"


def strip(content: str) -> str:
    return "".join(line for line in content.splitlines(keepends=True) if not is_marker(line))


def walk(value):
    """Every chapter's `content`, wherever the book's JSON nests it."""
    if isinstance(value, dict):
        if isinstance(value.get("content"), str) and "name" in value:
            value["content"] = strip(value["content"])
        for child in value.values():
            walk(child)
    elif isinstance(value, list):
        for child in value:
            walk(child)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "supports":
        return 0
    _context, book = json.load(sys.stdin)
    walk(book)
    json.dump(book, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
