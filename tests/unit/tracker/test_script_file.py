"""The tracker's file (web/tracker/script.js links to the one the layer ships) and the promises a reader can
check without a browser."""

from __future__ import annotations

import gzip
import os
import re

from tally.web.tracker import tracker_script
from tally_dev.template import ROOT

SOURCE = ROOT / "web" / "tracker" / "script.js"
SHIPPED = ROOT / "layers" / "tally" / "tally" / "web" / "static" / "script.js"


def test_web_tracker_script_is_a_relative_link_to_the_file_the_layer_ships():
    assert SOURCE.is_symlink(), "one copy: web/tracker/script.js links to the layer's file"
    assert not os.path.isabs(os.readlink(SOURCE)), "a relative link works in every checkout"
    assert SOURCE.resolve() == SHIPPED.resolve()
    assert SHIPPED.is_file() and not SHIPPED.is_symlink(), "the layer holds the real file (`cp -r tally` copies it)"


def test_the_served_script_is_the_shipped_file():
    assert tracker_script().text.encode() == SHIPPED.read_bytes()


def test_the_tracker_is_at_most_2_kb_gzipped():
    size = len(gzip.compress(SOURCE.read_bytes(), compresslevel=9))

    assert size <= 2048, f"the tracker is {size} bytes gzipped; the budget is 2,048"
    assert len(tracker_script().gzipped) <= 2048


def test_the_tracker_never_touches_cookies_or_writes_storage():
    source = SOURCE.read_text()

    assert not re.search(r"\.cookie\b|cookieStore", source)
    assert "sessionStorage" not in source
    assert "indexedDB" not in source
    assert not re.search(r"localStorage\s*(\.\s*setItem|\.\s*\w+\s*=[^=]|\[[^\]]*\]\s*=[^=])", source)
    assert "localStorage.tally_ignore ===" in source  # read only, to exclude oneself


def test_the_tracker_sends_short_keys_as_text_plain_with_keepalive_and_falls_back_to_send_beacon():
    source = SOURCE.read_text()

    assert "keepalive: true" in source
    assert "'Content-Type': 'text/plain'" in source
    assert "sendBeacon(" in source
    for key in ("n: name", "u: o.u || loc.href", "d: domain", "r: d.referrer || null", "body.p =", "body.h = 1"):
        assert key in source
