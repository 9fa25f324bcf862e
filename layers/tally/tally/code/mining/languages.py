"""Languages at HEAD by file name, from Pygments' lexer registry (a maintained detector, not a table here)."""

from __future__ import annotations

from functools import cache
from posixpath import basename

from pygments.lexers import find_lexer_class_for_filename


@cache
def language_of(path: str) -> str | None:
    """The language Pygments names for this file name, or None (unknown, plain text)."""
    return _by_name(basename(path))


@cache
def _by_name(name: str) -> str | None:
    lexer = find_lexer_class_for_filename(name)
    if lexer is None or lexer.name == "Text only":
        return None
    return str(lexer.name)
