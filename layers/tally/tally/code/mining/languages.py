"""Languages at HEAD by file name, from Pygments' lexer registry (a maintained detector, not a table here).

`primary_language` is the language with the most bytes among those that are code: Pygments files
its data, markup, configuration and text-format lexers (JSON, YAML, Markdown, reStructuredText,
INI, TOML, ...) in modules of their own, and XML sits with HTML; those count in `languages` but
become primary only when nothing else is there.
"""

from __future__ import annotations

import fnmatch
import re
from functools import cache, lru_cache
from posixpath import basename

from pygments.lexers import LEXERS, find_lexer_class_for_filename

NOT_CODE_MODULES = frozenset({"pygments.lexers.data", "pygments.lexers.markup", "pygments.lexers.configs",
                              "pygments.lexers.textfmts", "pygments.lexers.special"})
NOT_CODE_NAMES = frozenset({"XML"})


def language_of(path: str) -> str | None:
    """The language Pygments names for this file name, or None (unknown, plain text)."""
    return _by_name(basename(path))[0]


def is_code(path: str) -> bool:
    return _by_name(basename(path))[1]


def language_and_code(path: str) -> tuple[str | None, bool]:
    """`(language_of(path), is_code(path))` in one lookup."""
    return _by_name(basename(path))


@lru_cache(maxsize=1 << 14)  # a name's answer never changes; re-mines see the same names again
def _by_name(name: str) -> tuple[str | None, bool]:
    """Pygments' answer for a file name, asked once per name pattern: unless a name matches one of
    Pygments' few special globs (`Makefile`, `*.[1-9]`, ...), only its `*.ext` matches decide, so
    names with the same matching extensions share one lookup (Pygments scans every lexer per call)."""
    simple, special = _patterns()
    if special.match(name):
        return _lookup(name)
    parts = name.split(".")
    suffixes = tuple(suffix for suffix in (".".join(parts[i:]) for i in range(1, len(parts))) if suffix in simple)
    if suffixes not in _BY_SUFFIXES:
        _BY_SUFFIXES[suffixes] = _lookup(name)  # the first name seen with these suffixes stands for all
    return _BY_SUFFIXES[suffixes]


_BY_SUFFIXES: dict[tuple[str, ...], tuple[str | None, bool]] = {}


@cache
def _patterns() -> tuple[frozenset[str], re.Pattern[str]]:
    simple: set[str] = set()
    special: list[str] = []
    for _module, _name, _aliases, filenames, _mimetypes in LEXERS.values():
        for pattern in filenames:
            if pattern.startswith("*.") and not any(c in pattern[2:] for c in "*?[]"):
                simple.add(pattern[2:])
            else:
                special.append(fnmatch.translate(pattern))
    return frozenset(simple), re.compile("|".join(special) or "(?!)")


@cache
def _lookup(name: str) -> tuple[str | None, bool]:
    lexer = find_lexer_class_for_filename(name)
    if lexer is None or lexer.name == "Text only":
        return None, False
    return str(lexer.name), lexer.__module__ not in NOT_CODE_MODULES and lexer.name not in NOT_CODE_NAMES


def primary_language(bytes_by_language: dict[str, int], code: set[str]) -> str | None:
    """The code language with the most bytes (ties: alphabetical), else the largest of any kind."""
    for candidates in ({k: v for k, v in bytes_by_language.items() if k in code}, bytes_by_language):
        if candidates:
            return min(candidates.items(), key=lambda item: (-item[1], item[0]))[0]
    return None
