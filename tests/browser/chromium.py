"""Headless Debian chromium, driven by Playwright: a fresh profile for every test.

Tests use the system's `/usr/bin/chromium` (installed by `scripts/system-deps.sh`); Playwright's
own browser downloads are never used. The fixtures are registered once, as a plugin, by
`tests/conftest.py` (`pytest_plugins`): a second copy imported into another conftest would be a
second session fixture, and two sync Playwright instances cannot share a worker's thread (the
second refuses with "using Playwright Sync API inside the asyncio loop").
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Screenshots and other things a person may want to look at after a run (gitignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MISSING = (
    f"Debian's chromium is missing at {CHROMIUM}; browser tests drive it through Playwright. "
    "Install it with `sudo bash scripts/system-deps.sh` (or `sudo apt-get install chromium`). "
    "Playwright's own browser downloads are not used."
)


def require_chromium() -> Path:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(MISSING, pytrace=False)
    return CHROMIUM


@dataclass
class Tab:
    """A page plus everything it said on its console and every uncaught error it threw."""

    page: Page
    console: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def console_errors(self) -> list[str]:
        """Errors so far. A round trip first: the sync API delivers page events only while it is called."""
        if not self.page.is_closed():
            self.page.evaluate("0")
        return [m.text for m in self.console if m.type == "error"] + self.page_errors

    def assert_no_console_errors(self) -> None:
        assert self.console_errors() == [], f"the page logged errors: {self.console_errors()}"

    def screenshot(self, name: str) -> Path:
        """Save a full-page PNG under test-artifacts/ and return its path."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def chromium_playwright() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def chromium(chromium_playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A headless chromium with a fresh, empty user-data directory; closed after the test."""
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    context = chromium_playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(require_chromium()),
        headless=True,
        args=list(CHROMIUM_ARGS),
        timeout=30_000,
    )
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def tab(chromium: BrowserContext) -> Tab:
    """The browser's first page, recording its console and uncaught errors."""
    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    recorded = Tab(page)
    page.on("console", lambda message: recorded.console.append(message))
    page.on("pageerror", lambda error: recorded.page_errors.append(str(error)))
    return recorded
