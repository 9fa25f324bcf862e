"""Search a User-Agent against a list of thousands of regexes at the cost of a few.

Bot lists are long alternations of regexes (crawlerdetect ≈ 1,500, crawler-user-agents ≈ 1,500,
Matomo ≈ 850). Joined into one regex, Python's `re` tries every alternative at every position of
the UA: about 1 ms per new UA and list. Nearly every pattern, though, can only match text that
contains one of a few literal strings (`Googlebot\\/` needs "googlebot/", `[wW]get` needs "get",
`check(?:er)?` needs "check"). `PatternList` works those literals out from the parsed patterns once,
finds which of them occur in the UA in one Aho-Corasick pass (`ahocorasick_rs`), and runs only the
patterns whose literal occurred; the few patterns without a usable literal run as one regex on
every UA. The answer is the same as the joined regex's: the literals are a necessary condition,
never a sufficient one (a unit test compares both on real UAs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cached_property
from re import _constants as sre  # type: ignore[attr-defined]  # the stdlib's own parser: no public API
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ahocorasick_rs import AhoCorasick

#: Literals shorter than this would occur in nearly every UA and filter nothing.
MIN_LITERAL = 3
#: Alternatives spelled out per literal (`user[ _]?agent` → 3); beyond this a sequence is cut there.
MAX_SPELLINGS = 32

Literals = frozenset[str]

_PLAIN = re.compile(r"\^?((?:[^\\.^$*+?{}\[\]|()]|\\[^A-Za-z0-9])+)\$?")
_ESCAPED = re.compile(r"\\(.)")
_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


class PatternList:
    """Regexes searched together; `template` wraps each one (e.g. a word-boundary prefix).

    A pattern's top-level alternatives (`nuhk|grub-client|…|^(?:chrome|firefox)$`) are filtered
    one by one, so a common literal in one of them does not make the whole pattern run.
    """

    def __init__(self, patterns: Sequence[str], *, flags: int = 0, template: str = "{}") -> None:
        self.patterns = list(patterns)
        self._flags = flags
        self._template = template
        self._compiled: dict[int, re.Pattern[str]] = {}

    def search(self, text: str) -> str | None:
        """The first pattern (in list order among the candidates) found in `text`, or None."""
        prefilter = self._prefilter
        if prefilter.unfiltered is not None and prefilter.unfiltered.search(text):
            return next(self.patterns[owner] for owner, part in prefilter.unfiltered_parts
                        if self._compile(part).search(text))
        if prefilter.automaton is None:
            return None
        found = prefilter.automaton.find_matches_as_indexes(text.lower(), overlapping=True)
        candidates = {part for literal, _, _ in found for part in prefilter.owners[literal]}
        for part in sorted(candidates):
            if self._regex(part).search(text):
                return self.patterns[prefilter.parts[part][0]]
        return None

    @cached_property
    def _prefilter(self) -> _Prefilter:
        from ahocorasick_rs import AhoCorasick

        parts = [(owner, part) for owner, pattern in enumerate(self.patterns) for part in alternatives(pattern)]
        owners: dict[str, list[int]] = {}
        unfiltered: list[tuple[int, str]] = []
        for index, (owner, part) in enumerate(parts):
            literals = required_literals(part, self._flags)
            if literals is None:
                unfiltered.append((owner, part))
                continue
            for literal in literals:
                owners.setdefault(literal, []).append(index)
        keys = list(owners)
        return _Prefilter(
            automaton=AhoCorasick(keys) if keys else None,
            owners=[owners[key] for key in keys],
            parts=parts,
            unfiltered_parts=unfiltered,
            unfiltered=self._compile("|".join(part for _, part in unfiltered)) if unfiltered else None,
        )

    def _regex(self, part: int) -> re.Pattern[str]:
        if (compiled := self._compiled.get(part)) is None:
            compiled = self._compiled[part] = self._compile(self._prefilter.parts[part][1])
        return compiled

    def _compile(self, pattern: str) -> re.Pattern[str]:
        return re.compile(self._template.format(pattern), self._flags)

    def unfiltered_patterns(self) -> list[str]:
        """Alternatives without a usable literal, run on every text (for tests and the bench)."""
        return [part for _, part in self._prefilter.unfiltered_parts]


class _Prefilter:
    __slots__ = ("automaton", "owners", "parts", "unfiltered", "unfiltered_parts")

    def __init__(self, automaton: AhoCorasick | None, owners: list[list[int]], parts: list[tuple[int, str]],
                 unfiltered_parts: list[tuple[int, str]], unfiltered: re.Pattern[str] | None) -> None:
        self.automaton = automaton
        self.owners = owners
        self.parts = parts
        self.unfiltered_parts = unfiltered_parts
        self.unfiltered = unfiltered


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (`a|b(c|d)` → `a`, `b(c|d)`); the pattern whole if it
    sets flags for itself (`(?i)…`), which splitting would leave with one alternative only."""
    if "|" not in pattern or _GLOBAL_FLAGS.match(pattern):  # most entries: nothing to split
        return [pattern]
    return group_alternatives(pattern, 0)[0]


def group_alternatives(pattern: str, start: int) -> tuple[list[str], int]:
    """The top-level alternatives from `start` to the `)` closing the group (or the end), and the
    index after that `)`; escapes, character classes and nested groups are skipped over."""
    found: list[str] = []
    depth, begin, i = 0, start, start
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _class_end(pattern, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                found.append(pattern[begin:i])
                return found, i + 1
            depth -= 1
        elif char == "|" and depth == 0:
            found.append(pattern[begin:i])
            begin = i + 1
        i += 1
    found.append(pattern[begin:])
    return found, len(pattern)


def _class_end(pattern: str, i: int) -> int:
    """The index after the character class opening at i (a `]` first in the class is a literal)."""
    j = i + 1
    if pattern.startswith("^", j):
        j += 1
    if pattern.startswith("]", j):
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def required_literals(pattern: str, flags: int = 0) -> Literals | None:
    """Lower-case strings of which every match of `pattern` contains at least one; None if none useful."""
    if plain := _PLAIN.fullmatch(pattern):  # most list entries: a name, maybe anchored (no parse needed)
        literal = _ESCAPED.sub(r"\1", plain.group(1)).lower()
        return frozenset({literal}) if len(literal) >= MIN_LITERAL else None
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error:
        return None
    literals = _required(parsed.data)
    return literals if _score(literals) >= MIN_LITERAL else None


def _score(literals: Literals | None) -> int:
    return min(map(len, literals)) if literals else 0


def _better(a: Literals | None, b: Literals | None) -> Literals | None:
    """The more selective of two necessary sets: longer shortest literal, then fewer literals."""
    if _score(b) > _score(a) or (a and b and _score(a) == _score(b) and len(b) < len(a)):
        return b
    return a


def _required(items: Iterable[tuple[Any, Any]]) -> Literals | None:
    """A necessary literal set for a sequence: its best run of exact items, or its best part's."""
    best: Literals | None = None
    run: Literals = frozenset({""})
    for op, av in items:
        exact = _exact_item(op, av)
        if exact is not None:
            joined = _product(run, exact)
            if joined is not None:
                run = joined
                continue
            best, run = _better(best, run), exact
            continue
        best, run = _better(_better(best, run), _required_item(op, av)), frozenset({""})
    return _better(best, run)


def _required_item(op: Any, av: Any) -> Literals | None:
    if op is sre.SUBPATTERN:
        return _required(av[3].data)
    if op is sre.ATOMIC_GROUP:
        return _required(av.data)
    if op is sre.BRANCH:
        alternatives = [_required(branch.data) for branch in av[1]]
        if any(not alt for alt in alternatives):
            return None
        return frozenset().union(*alternatives)  # type: ignore[arg-type]  # None excluded just above
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _required(av[2].data)
    return None


def _exact(items: Iterable[tuple[Any, Any]]) -> Literals | None:
    """Every string a sequence can match, when there are few of them; None otherwise."""
    out: Literals | None = frozenset({""})
    for op, av in items:
        exact = _exact_item(op, av)
        if exact is None or out is None:
            return None
        out = _product(out, exact)
    return out


def _exact_item(op: Any, av: Any) -> Literals | None:
    if op is sre.LITERAL:
        return frozenset({chr(av).lower()})
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):  # anchors and look-arounds match no text
        return frozenset({""})
    if op is sre.SUBPATTERN:
        return _exact(av[3].data)
    if op is sre.BRANCH:
        alternatives = [_exact(branch.data) for branch in av[1]]
        if any(alt is None for alt in alternatives) or sum(map(len, alternatives)) > MAX_SPELLINGS:  # type: ignore[arg-type]
            return None
        return frozenset().union(*alternatives)  # type: ignore[arg-type]
    if op is sre.IN:
        return _characters(av)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[1] <= 2:
        body = _exact(av[2].data)
        if body is None:
            return None
        spellings: set[str] = set()
        for count in range(av[0], av[1] + 1):
            power: Literals | None = frozenset({""})
            for _ in range(count):
                power = _product(power, body) if power is not None else None
            if power is None:
                return None
            spellings |= power
        return frozenset(spellings) if len(spellings) <= MAX_SPELLINGS else None
    return None


def _characters(members: list[tuple[Any, Any]]) -> Literals | None:
    """The characters of a small class such as `[ _]` or `[wW]`; None for negated or wide ones."""
    chars: set[str] = set()
    for op, av in members:
        if op is sre.LITERAL:
            chars.add(chr(av).lower())
        elif op is sre.RANGE and av[1] - av[0] < MAX_SPELLINGS:
            chars.update(chr(c).lower() for c in range(av[0], av[1] + 1))
        else:
            return None
    return frozenset(chars) if len(chars) <= MAX_SPELLINGS else None


def _product(a: Literals, b: Literals) -> Literals | None:
    if len(a) * len(b) > MAX_SPELLINGS:
        return None
    return frozenset(x + y for x in a for y in b)
