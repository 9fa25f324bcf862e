"""Contributors: commit identities after `.mailmap`, joined into people by one stated rule.

JOIN_RULE says it: after the HEAD commit's `.mailmap` (pygit2's Mailmap, git's own rules), two
identities are one contributor when their emails are equal ignoring case, or their names are equal
ignoring case and surrounding spaces. A contributor's name and email are its most frequent ones
(ties: the alphabetically first). A name or email containing `[bot]` flags the contributor as a bot.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pygit2

JOIN_RULE = ("identities after .mailmap are one contributor when their emails are equal ignoring case, "
             "or their names are equal ignoring case and surrounding spaces")


@dataclass
class Person:
    names: Counter[str] = field(default_factory=Counter)
    emails: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return _most_common(self.names)

    @property
    def email(self) -> str:
        return _most_common(self.emails)

    @property
    def bot(self) -> bool:
        return any("[bot]" in text.lower() for text in (*self.names, *self.emails))


def _most_common(counter: Counter[str]) -> str:
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0] if counter else ""


class Identities:
    """Maps raw (name, email) pairs to contributor indices; `people` holds them, in first-seen order."""

    def __init__(self, mailmap_text: bytes | None) -> None:
        self._mailmap = pygit2.Mailmap.from_buffer(mailmap_text.decode("utf-8", "replace")) if mailmap_text else None
        self._parent: list[int] = []
        self._by_key: dict[str, int] = {}
        self._resolved: dict[tuple[str, str], tuple[str, str]] = {}
        self._uses: list[tuple[str, str, int]] = []

    def resolve(self, name: str, email: str) -> tuple[str, str]:
        pair = (name, email)
        if pair not in self._resolved:
            self._resolved[pair] = self._mailmap.resolve(name, email) if self._mailmap else pair
        return self._resolved[pair]

    def add(self, name: str, email: str, count: int = 1) -> None:
        """Record `count` commits by this raw identity."""
        real_name, real_email = self.resolve(name, email)
        ids = [self._node(f"e:{real_email.strip().lower()}")]
        if real_name.strip():
            ids.append(self._node(f"n:{real_name.strip().lower()}"))
        for other in ids[1:]:
            self._union(ids[0], other)
        self._uses.append((real_name, real_email, count))

    def person_of(self, name: str, email: str) -> int:
        """The contributor (root index) of a raw identity already added."""
        _, real_email = self.resolve(name, email)
        return self._find(self._by_key[f"e:{real_email.strip().lower()}"])

    def people(self) -> dict[int, Person]:
        found: dict[int, Person] = {}
        for name, email, count in self._uses:
            person = found.setdefault(self._find(self._by_key[f"e:{email.strip().lower()}"]), Person())
            person.names[name] += count
            person.emails[email] += count
        return found

    def _node(self, key: str) -> int:
        if key not in self._by_key:
            self._by_key[key] = len(self._parent)
            self._parent.append(len(self._parent))
        return self._by_key[key]

    def _find(self, node: int) -> int:
        while self._parent[node] != node:
            self._parent[node] = self._parent[self._parent[node]]
            node = self._parent[node]
        return node

    def _union(self, a: int, b: int) -> None:
        root_a, root_b = self._find(a), self._find(b)
        if root_a != root_b:
            self._parent[max(root_a, root_b)] = min(root_a, root_b)
