"""Languages at HEAD by file name, from Pygments' lexer registry (a maintained detector, not a table here).

`primary_language` is the language with the most bytes among those that are code: Pygments files
its data, markup, configuration and text-format lexers (JSON, YAML, Markdown, reStructuredText,
INI, TOML, ...) in modules of their own, and XML sits with HTML; those count in `languages` but
become primary only when nothing else is there.
"""

from __future__ import annotations

from functools import cache
from posixpath import basename

from pygments.lexers import find_lexer_class_for_filename

NOT_CODE_MODULES = frozenset({"pygments.lexers.data", "pygments.lexers.markup", "pygments.lexers.configs",
                              "pygments.lexers.textfmts", "pygments.lexers.special"})
NOT_CODE_NAMES = frozenset({"XML"})


@cache
def language_of(path: str) -> str | None:
    """The language Pygments names for this file name, or None (unknown, plain text)."""
    return _by_name(basename(path))[0]


@cache
def _by_name(name: str) -> tuple[str | None, bool]:
    lexer = find_lexer_class_for_filename(name)
    if lexer is None or lexer.name == "Text only":
        return None, False
    return str(lexer.name), lexer.__module__ not in NOT_CODE_MODULES and lexer.name not in NOT_CODE_NAMES


def is_code(path: str) -> bool:
    return _by_name(basename(path))[1]


def primary_language(bytes_by_language: dict[str, int], code: set[str]) -> str | None:
    """The code language with the most bytes (ties: alphabetical), else the largest of any kind."""
    for candidates in ({k: v for k, v in bytes_by_language.items() if k in code}, bytes_by_language):
        if candidates:
            return min(candidates.items(), key=lambda item: (-item[1], item[0]))[0]
    return None
