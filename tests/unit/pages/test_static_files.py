"""The pages' files: one copy (web/dashboard links to the layer's), no third-party code, no HTML from data."""

from __future__ import annotations

import os
import re

import pytest

from tally.pages.files import ASSET_TYPES, PAGES, SHELL
from tally_dev.template import ROOT

STATIC = ROOT / "layers" / "tally" / "tally" / "pages" / "static"
LINK = ROOT / "web" / "dashboard"
SCRIPTS = sorted(STATIC.glob("*.js"))


def test_web_dashboard_is_a_relative_link_to_the_files_the_layer_ships():
    assert LINK.is_symlink()
    target = os.readlink(LINK)
    assert not os.path.isabs(target), "a relative link works in every checkout"
    assert LINK.resolve() == STATIC.resolve()
    assert STATIC.is_dir() and not STATIC.is_symlink(), "the layer holds the real files (`cp -r tally` copies them)"


def test_every_file_is_a_page_the_shell_or_a_servable_asset():
    pages = {spec.file for spec in PAGES.values()}
    for path in STATIC.iterdir():
        assert path.name in pages or path.name == SHELL or path.suffix in ASSET_TYPES, path.name


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_never_turn_data_into_html_or_code(path):
    """Breakdown values (paths, referrers, UTM tags) come from anyone's requests: text only, never markup."""
    source = path.read_text()

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setAttribute('style'", "cssText"):
        assert sink not in source, f"{path.name} uses {sink}"


def test_nothing_is_loaded_from_another_origin():
    for path in STATIC.iterdir():
        text = path.read_text()
        urls = set(re.findall(r"https?://[^\s'\"<>)]+", text)) - {"http://www.w3.org/2000/svg"}
        assert urls == set(), f"{path.name} names {urls}"
