"""Every page is the one shell (head, header, navigation) with the page's own parts, put together on the server."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tally.pages.files import PAGES, SHELL, page
from tally.pages.shell import ShellError, assemble
from tally_dev.template import ROOT

STATIC = ROOT / "layers" / "tally" / "tally" / "pages" / "static"
NAV = ["/", "/sites", "/code", "/me/stats", "/settings"]


class Outline(HTMLParser):
    """What a test needs of a document: its ids, scripts, nav links and the attributes of a few elements."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.scripts: list[str] = []
        self.nav: list[dict[str, str | None]] = []
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.tags: list[str] = []
        self._in_nav = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        if "id" in attributes:
            self.ids.append(str(attributes["id"]))
            self.by_id[str(attributes["id"])] = attributes
        if tag == "script":
            self.scripts.append(str(attributes.get("src")))
        if tag == "nav":
            self._in_nav = True
        if tag == "a" and self._in_nav:
            self.nav.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False


def outline(name: str) -> Outline:
    parsed = Outline()
    parsed.feed(page(name).raw.decode())
    return parsed


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_has_the_shells_head_header_and_navigation_once(name):
    html = page(name).raw.decode()
    parsed = outline(name)
    assert html.startswith("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")
    assert [parsed.tags.count(t) for t in ("html", "head", "body", "nav", "main", "title")] == [1] * 6
    assert html.count('<header class="topbar">') == 1
    assert [link["href"] for link in parsed.nav] == NAV
    assert [link["href"] for link in parsed.nav if link.get("aria-current") == "page"] == [PAGES[name].nav]
    assert parsed.scripts[0].startswith("/assets/pages.js?v="), "pages.js defines window.Tally before the page's own"
    assert len(parsed.scripts) > 1 and all(s.startswith("/assets/") for s in parsed.scripts)
    assert {"who", "sign-out", "nav", "status", "usage-link"} <= set(parsed.ids)
    assert len(parsed.ids) == len(set(parsed.ids)), "ids are unique"
    assert not re.search(r"<!-- (slot|fill):", html)


def test_what_a_page_shows_only_once_signed_in_starts_hidden():
    assert "hidden" in outline("dashboard").by_id["nav"] and "hidden" in outline("dashboard").by_id["status"]
    assert "hidden" in outline("me").by_id["status"] and "hidden" not in outline("me").by_id["nav"]
    for name in ("sites", "site", "settings", "code"):  # shown at once: no flash of a missing navigation
        assert "hidden" not in outline(name).by_id["nav"] and "hidden" not in outline(name).by_id["status"]


def test_the_dashboards_own_header_parts_stay_in_its_header():
    html = page("dashboard").raw.decode()
    header = html[html.index("<header"):html.index("</header>")]
    assert 'id="controls"' in header and 'id="realtime"' in header
    assert header.index('id="realtime"') < header.index('id="who"')
    assert "<script" not in html.split("</head>")[1], "no inline or late script: the CSP allows 'self' only"


@pytest.mark.parametrize("spec", PAGES.values(), ids=lambda s: s.file)
def test_a_page_file_holds_only_its_own_parts(spec):
    """The head, header and navigation live in the shell alone."""
    text = (STATIC / spec.file).read_text()
    for shared in ("<!doctype", "<head>", "<body>", "<header class=\"topbar\"", "<nav", "id=\"sign-out\"", "pages.js",
                   "pages.css"):
        assert shared not in text, f"{spec.file} repeats the shell's {shared}"
    assert text.startswith("<!-- fill:head -->\n<title>")


SHELL_TEXT = (STATIC / SHELL).read_text()


def test_a_fill_the_shell_has_no_slot_for_is_refused():
    with pytest.raises(ShellError, match="no such slot"):
        assemble(SHELL_TEXT, "<!-- fill:head -->\n<title>x</title>\n<!-- fill:footer -->\n<p>\n<!-- fill:main -->\n",
                 current="/")


def test_a_page_without_head_or_main_or_with_text_before_its_first_fill_is_refused():
    with pytest.raises(ShellError, match="must fill"):
        assemble(SHELL_TEXT, "<!-- fill:head -->\n<title>x</title>\n", current="/")
    with pytest.raises(ShellError, match="starts with its first fill"):
        assemble(SHELL_TEXT, "<p>stray</p>\n<!-- fill:head -->\n<!-- fill:main -->\n", current="/")


def test_a_current_link_or_a_hidden_element_the_shell_lacks_is_refused():
    minimal = "<!-- fill:head -->\n<title>x</title>\n<!-- fill:main -->\n<main></main>\n"
    with pytest.raises(ShellError, match="no single link"):
        assemble(SHELL_TEXT, minimal, current="/nowhere")
    with pytest.raises(ShellError, match="no element #footer"):
        assemble(SHELL_TEXT, minimal, current="/", hidden_until_signed_in=("footer",))
