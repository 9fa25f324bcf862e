"""Each page is the one shell (`static/shell.html`: head, header, navigation) with the page's own parts.

A page file holds only what is its own, in fills named after the shell's slots:

    <!-- fill:head -->      its <title> and its scripts (after pages.js, which every page loads first)
    <!-- fill:status -->    more items in the header's status row, before who is signed in (optional)
    <!-- fill:header -->    more rows of the header, under the navigation (optional)
    <!-- fill:main -->      its <main>

`assemble` puts each fill where the shell says `<!-- slot:NAME -->`, marks the page's link in the
navigation as the current one and hides what the page shows only once signed in. It runs on the
server (once per container, see `files.page`), so the header arrives with the page: no script has
to draw it (no flash of a missing navigation), and the CSP stays without inline code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SLOTS = ("head", "status", "header", "main")
_SLOT = re.compile(r"^[ \t]*<!-- slot:(?P<name>[a-z]+) -->\n", re.MULTILINE)
_FILL = re.compile(r"^<!-- fill:(?P<name>[a-z]+) -->\n", re.MULTILINE)
_NAV = re.compile(r'<nav class="nav" id="nav"[^>]*>.*?</nav>', re.DOTALL)


class ShellError(ValueError):
    """A page or the shell does not fit the other (a programming error, caught by the page tests)."""


def fills(page: str) -> dict[str, str]:
    """The page file's fills by slot name."""
    parts = _FILL.split(page)
    if parts[0].strip():
        raise ShellError("a page starts with its first fill (<!-- fill:head -->)")
    found: dict[str, str] = {}
    for name, text in zip(parts[1::2], parts[2::2], strict=True):
        if name not in SLOTS or name in found:
            raise ShellError(f"a page fills slot {name!r} twice or the shell has no such slot")
        found[name] = text
    missing = {"head", "main"} - found.keys()
    if missing:
        raise ShellError(f"a page must fill {sorted(missing)}")
    return found


def assemble(shell: str, page: str, *, current: str, hidden_until_signed_in: Iterable[str] = ()) -> str:
    """The page's document: `shell` with `page`'s fills, the nav link to `current` marked as the page's
    own, and the elements with these ids (`nav`, `status`) hidden until the page's script shows them."""
    parts = fills(page)
    if sorted(_SLOT.findall(shell)) != sorted(SLOTS):
        raise ShellError(f"the shell must have each of the slots {SLOTS} once")
    html = _SLOT.sub(lambda match: parts.get(match["name"], ""), shell)
    html = _mark_current(html, current)
    for element_id in hidden_until_signed_in:
        html, count = re.subn(rf'(<[a-z]+ class="[a-z -]+" id="{re.escape(element_id)}")', r"\1 hidden", html,
                              count=1)
        if count != 1:
            raise ShellError(f"the shell has no element #{element_id} to hide")
    return html


def _mark_current(html: str, current: str) -> str:
    nav = _NAV.search(html)
    if nav is None:
        raise ShellError("the shell has no navigation")
    marked, count = re.subn(rf'<a href="{re.escape(current)}"', f'<a href="{current}" aria-current="page"', nav[0])
    if count != 1:
        raise ShellError(f"the navigation has no single link to {current!r}")
    return html[:nav.start()] + marked + html[nav.end():]
