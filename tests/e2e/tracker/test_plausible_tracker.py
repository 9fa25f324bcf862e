"""Plausible's own tracker (npm `@plausible-analytics/tracker`) in headless chromium: what it really sends.

The package ships one self-contained ES module (`plausible.js`, no bare imports), so the test site
serves it as is and a `<script type="module">` imports it. Every request it makes to a separate API
origin is recorded step by step in `tests/fixtures/plausible_tracker_requests.json`, the contract
`POST /api/event` must accept unchanged. Set TALLY_UPDATE_FIXTURES=1 to rewrite that file after a
deliberate change (then review its diff with whoever owns ingest).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tally_dev.template import ROOT
from tests.browser.chromium import Tab
from tests.browser.site import Captured, SiteServer

VERSION = "0.4.6"
PACKAGE = "@plausible-analytics/tracker"
FIXTURE = ROOT / "tests" / "fixtures" / "plausible_tracker_requests.json"
DOMAIN = "site.example.test"
#: Headers whose values depend on the browser build or the machine: recorded, not compared.
VOLATILE_HEADERS = {"user-agent", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "accept-language"}
#: Headers whose values a change of browser version cannot explain: compared.
STABLE_HEADERS = ("content-type", "origin", "referer", "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site")
DROPPED_HEADERS = {"host", "connection", "content-length"}  # the port and the body length (origins are replaced)


@pytest.fixture(scope="module")
def plausible_js(tmp_path_factory: pytest.TempPathFactory) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not installed; it is needed to fetch {PACKAGE}@{VERSION}, the tracker the ingest "
                    f"API must accept (apt-get install npm)")
    workdir = tmp_path_factory.mktemp("plausible-npm")
    (workdir / "package.json").write_text('{"private": true}\n')  # keeps npm from looking further up
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", f"{PACKAGE}@{VERSION}"],
        cwd=workdir, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"npm install {PACKAGE}@{VERSION} failed:\n{result.stderr}"
    package = workdir / "node_modules" / PACKAGE
    manifest = json.loads((package / "package.json").read_text())
    assert manifest["version"] == VERSION
    assert manifest["exports"]["."]["default"] == "./plausible.js"
    module = package / "plausible.js"
    assert not re.search(r"\bimport\s*[\w{*]|\bimport\(|\brequire\(", module.read_text()), \
        "plausible.js is no longer self-contained; serve its dependencies too"
    return module


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plausible tracker test page</title>
<link rel="icon" href="data:,">
<script type="module">
  import {{ init, track }} from '/vendor/plausible.js'
  init({{ domain: '{domain}', endpoint: '{endpoint}', captureOnLocalhost: true, outboundLinks: true,
          fileDownloads: true, hashBasedRouting: {hash} }})
  window.track = track
</script></head>
<body>
  <h1>Plausible tracker test page</h1>
  <a id="download" href="/files/report.pdf?x=1">Annual report (PDF)</a>
  <a id="outbound" href="{partner}">Partner site</a>
</body></html>
"""


class Recorder:
    """Runs steps one by one; after each, waits for the requests it must cause and files them under it."""

    def __init__(self, api: SiteServer, origins: dict[str, str]) -> None:
        self.api = api
        self.origins = origins
        self.steps: list[dict[str, Any]] = []
        self._seen = 0

    def step(self, action: str, requests: int, run: Callable[[], object]) -> None:
        run()
        arrived = self.api.wait_for(count=self._seen + requests)
        new, self._seen = arrived[self._seen:], len(arrived)
        recorded = sorted((self._record(c) for c in new), key=lambda r: json.dumps(r.get("json"), sort_keys=True))
        self.steps.append({"action": action, "requests": recorded})

    def _replace_origins(self, text: str) -> str:
        for real, stand_in in self.origins.items():
            text = text.replace(real, stand_in)
        return text

    def _record(self, captured: Captured) -> dict[str, Any]:
        body = self._replace_origins(captured.text())
        headers = {k: self._replace_origins(v) for k, v in captured.headers.items() if k not in DROPPED_HEADERS}
        record: dict[str, Any] = {"method": captured.method, "path": captured.path, "headers": headers, "body": body}
        if body:
            record["json"] = json.loads(body)
        return record


def normalized(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What must not change: actions, methods, paths, stable headers, bodies (engagement time as its type)."""
    def body(value: Any) -> Any:
        if isinstance(value, dict) and value.get("n") == "engagement" and isinstance(value.get("e"), int):
            return {**value, "e": "<int: engaged milliseconds>"}
        return value

    return [{"action": s["action"], "requests": [
        {"method": r["method"], "path": r["path"], "json": body(r.get("json")),
         "headers": {name: r["headers"].get(name) for name in STABLE_HEADERS}}
        for r in s["requests"]]} for s in steps]


def test_the_official_plausible_tracker_requests_are_recorded_as_the_ingest_contract(
        tab: Tab, plausible_js: Path):
    with SiteServer() as site, SiteServer() as api:
        partner = site.url("/elsewhere", host="localhost")
        site.add("/vendor/plausible.js", plausible_js.read_bytes(), "text/javascript; charset=utf-8")
        site.add("/files/report.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf",
                 {"Content-Disposition": 'attachment; filename="report.pdf"'})
        site.add("/elsewhere", "<!doctype html><title>Partner</title><link rel=icon href='data:,'><p>partner</p>")
        for path, hash_routing in (("/pricing", "false"), ("/app", "true")):
            site.add(path, PAGE.format(domain=DOMAIN, endpoint=api.url("/api/event"), hash=hash_routing,
                                       partner=partner))
        recorder = Recorder(api, {site.origin(): "http://site.example.test", api.origin(): "http://api.example.test",
                                  site.origin("localhost"): "http://partner.example.test"})
        page = tab.page

        recorder.step("open /pricing?utm_source=newsletter, arriving from https://news.example.org/", 1,
                      lambda: page.goto(site.url("/pricing?utm_source=newsletter"),
                                        referer="https://news.example.org/"))
        recorder.step("track('Signup', {props: {plan: 'pro', seats: 3}, revenue: {amount: 15.99, currency: 'USD'}})", 1,
                      lambda: page.evaluate("track('Signup', {props: {plan: 'pro', seats: 3}, "
                                            "revenue: {amount: 15.99, currency: 'USD'}})"))
        recorder.step("track('Video Autoplay', {interactive: false})", 1,
                      lambda: page.evaluate("track('Video Autoplay', {interactive: false})"))
        recorder.step("history.pushState({}, '', '/docs')", 2,
                      lambda: page.evaluate("history.pushState({}, '', '/docs')"))

        def download() -> None:
            with page.expect_download():
                page.click("#download")
        recorder.step("click a link to /files/report.pdf?x=1 (served as an attachment)", 1, download)
        recorder.step("click a link to another host (the page navigates away)", 2,
                      lambda: page.click("#outbound"))
        page.wait_for_url(partner)
        recorder.step("open /app#/home with hashBasedRouting: true", 1, lambda: page.goto(site.url("/app#/home")))
        recorder.step("location.hash = '#/settings'", 2, lambda: page.evaluate("location.hash = '#/settings'"))
        recorder.step("leave the page for another one", 1, lambda: page.goto(site.url("/elsewhere")))
        tab.assert_no_console_errors()

    document = {
        "about": "Every request the official Plausible tracker made, step by step, in headless chromium; the "
                 "contract POST /api/event accepts unchanged. Written by tests/e2e/tracker/test_plausible_tracker.py "
                 "(TALLY_UPDATE_FIXTURES=1 rewrites it); origins stand in for loopback ports.",
        "tracker": f"{PACKAGE}@{VERSION} from npm, imported as an ES module",
        "init": {"domain": DOMAIN, "endpoint": "http://api.example.test/api/event", "captureOnLocalhost": True,
                 "outboundLinks": True, "fileDownloads": True, "hashBasedRouting": "false on /pricing, true on /app"},
        "origins": {"http://site.example.test": "the page", "http://api.example.test": "the event API",
                    "http://partner.example.test": "another site the page links to"},
        "response": {"status": 202, "body": "ok", "headers": {"Access-Control-Allow-Origin": "*"}},
        "notes": [
            "Every request is a POST with Content-Type exactly `text/plain` (fetch, keepalive) and a JSON body; "
            "a simple CORS request, so no OPTIONS preflight comes first.",
            "Keys: n name, v tracker version, u URL, d domain, r referrer (null when none), p props (values may be "
            "numbers), $ revenue {amount, currency}, i false when not interactive, h 1 with hash-based routing.",
            "`engagement` events carry sd (scroll depth, %) and e (engaged milliseconds) and no r; they are sent "
            "when a page is left: another pageview, a hidden tab, a navigation away.",
            "sec-fetch-site is same-site here because both stand-ins share example.test; a site on another "
            "domain sends cross-site. Referer is the page's origin only (strict-origin-when-cross-origin).",
        ],
        "steps": recorder.steps,
    }
    if os.environ.get("TALLY_UPDATE_FIXTURES") == "1" or not FIXTURE.exists():
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    expected = json.loads(FIXTURE.read_text())
    assert normalized(recorder.steps) == normalized(expected["steps"]), \
        f"{PACKAGE}@{VERSION} now sends something else; rerun with TALLY_UPDATE_FIXTURES=1 and review the diff"
    assert all(r["method"] == "POST" for s in recorder.steps for r in s["requests"])  # text/plain: no preflight
