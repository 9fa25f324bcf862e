"""The test pages that embed the tracker, and what a page handed to the network (counted inside the page)."""

from __future__ import annotations

import html
import json
from typing import Any

from tests.browser.chromium import Tab
from tests.browser.site import SiteServer

#: Counts, inside the page, every body handed to fetch or sendBeacon, synchronously: a test can prove
#: that nothing *else* was sent without waiting for something that never comes.
COUNT_SENDS = """
window.__sent = [];
(function () {
  var f = window.fetch, b = navigator.sendBeacon;
  if (f) window.fetch = function (url, init) {
    window.__sent.push(String(init && init.body)); return f.apply(this, arguments);
  };
  if (b) navigator.sendBeacon = function (url, data) {
    window.__sent.push(String(data)); return b.apply(this, arguments);
  };
})();
"""


def other_host(host: str) -> str:
    return "localhost" if host == "127.0.0.1" else "127.0.0.1"


def tracker_page(site: SiteServer, *, attributes: str, host: str = "127.0.0.1", head: str = "") -> str:
    """A small, realistic page embedding the tracker with the given `<script>` attributes."""
    partner = site.url("/elsewhere", host=other_host(host))
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tally tracker test page</title>
  <link rel="icon" href="data:,">
  <style>
    body {{ font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; color: #1f2937; }}
    code {{ background: #f3f4f6; padding: 0 .25rem; }}
    nav a {{ margin-right: 1rem; }}
  </style>
  {head}
  <script defer {attributes} src="/js/script.js"></script>
</head>
<body>
  <h1>Tally tracker test page</h1>
  <p>Served on <code>{html.escape(site.origin(host))}</code>; the tracker tag carries
     <code>{html.escape(attributes)}</code>.</p>
  <nav>
    <a id="internal" href="/docs">Docs</a>
    <a id="outbound" href="{html.escape(partner)}">Partner site</a>
    <a id="download" href="/files/report.pdf?v=2">Annual report (PDF)</a>
    <a id="mail" href="mailto:hello@example.test">Mail us</a>
  </nav>
  <button id="signup" onclick="tally('Signup', {{props: {{plan: 'pro'}}}})">Sign up</button>
</body>
</html>
"""


def open_page(tab: Tab, site: SiteServer, path: str, *, attributes: str, host: str = "127.0.0.1",
              head: str = "", referer: str | None = None) -> None:
    """Serve a tracker page at `path`, open it, and count what the page sends (see COUNT_SENDS)."""
    site.add(path.split("?")[0].split("#")[0], tracker_page(site, attributes=attributes, host=host, head=head))
    tab.page.add_init_script(COUNT_SENDS)
    tab.page.goto(site.url(path, host=host), referer=referer, wait_until="load")


def sent(tab: Tab) -> list[dict[str, Any]]:
    """Every event body the page handed to fetch or sendBeacon so far, in order."""
    return [json.loads(body) for body in tab.page.evaluate("window.__sent")]
