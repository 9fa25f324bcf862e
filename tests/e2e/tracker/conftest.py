"""The tracker in headless chromium: a test website serves a page embedding it and records what it sends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tally.web.tracker import tracker_script
from tests.browser.site import SiteServer

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def site() -> Iterator[SiteServer]:
    """A website on a free loopback port serving the tracker at /js/script.js, a download and a partner page."""
    with SiteServer() as server:
        server.add("/js/script.js", tracker_script().text, "application/javascript; charset=utf-8")
        server.add("/files/report.pdf", PDF, "application/pdf",
                   {"Content-Disposition": 'attachment; filename="report.pdf"'})
        server.add("/elsewhere", "<!doctype html><title>Partner</title><link rel=icon href='data:,'><p>partner</p>")
        yield server
