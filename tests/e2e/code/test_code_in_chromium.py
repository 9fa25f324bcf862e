"""The /code page in headless chromium against the local cloud: an org admin registers a local
repository (built with git), starts a run, and the page follows it to the figures; the codebases
table; a codebase admin sees their codebase, a viewer without a grant is told it is not theirs.
Screenshots at 1280 px and 390 px go to test-artifacts/ (docs/screenshots/ holds copies)."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import expect

from tally_dev.tokens import issue_token
from tests.browser.chromium import Tab
from tests.e2e.code.repositories import build_repository
from tests.e2e.owner.test_site_owner_path import DESKTOP, PHONE


def shoot(tab: Tab, name: str) -> None:
    """The page at desktop and phone widths once the chart is redrawn for the width; no sideways scroll."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        tab.page.set_viewport_size(size)
        tab.page.wait_for_function("(w) => !document.querySelector('#chart svg') || "
                                   "document.querySelector('#chart svg').getAttribute('width') <= w", arg=size["width"])
        tab.screenshot(f"{name}-{label}")
        assert tab.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    tab.page.set_viewport_size(DESKTOP)




def test_an_org_admin_mines_a_repository_and_the_page_shows_it(local, tab: Tab, tmp_path):
    cloud = local.cloud.url
    org = f"org-{uuid.uuid4().hex[:10]}"
    admin = issue_token(org, "org_admin")
    repo = tmp_path / "demo-repo"
    build_repository(repo, commits=12)
    with httpx.Client(base_url=cloud, timeout=30, headers={"Authorization": f"Bearer {admin}"}) as api:
        created = api.post("/api/v1/codebases", json={"url": str(repo), "name": "acme/demo-repo"})
        assert created.status_code == 201, created.text
        codebase_id = created.json()["codebase_id"]
        assert api.put(f"/api/v1/codebases/{codebase_id}/admins/{org}-carol").status_code == 200
        assert api.post(f"/api/v1/codebases/{codebase_id}/mine").status_code == 202

    tab.page.set_viewport_size(DESKTOP)
    tab.page.goto(f"{cloud}/code?codebase={codebase_id}#token={admin}")
    # the page follows the run (status every 2 s) and shows the figures when it succeeds
    expect(tab.page.locator("#cards .card")).to_have_count(8, timeout=120_000)
    expect(tab.page.locator("#run")).to_be_hidden()
    expect(tab.page.locator("#codebase-name")).to_have_text("acme/demo-repo")
    expect(tab.page.locator("#cards .card").first).to_contain_text("12")
    expect(tab.page.locator("#contributors tbody tr")).to_have_count(3)
    expect(tab.page.locator("#bus-factor")).to_contain_text("bus factor")
    expect(tab.page.locator("#punch tbody tr")).to_have_count(7)
    expect(tab.page.locator("#branches tbody tr")).to_have_count(2)
    expect(tab.page.locator("#branches tbody")).to_contain_text("feature")
    expect(tab.page.locator("#chart svg")).to_be_visible()
    shoot(tab, "code-codebase")

    tab.page.goto(f"{cloud}/code")
    row = tab.page.locator(f"#codebases tr[data-codebase-id='{codebase_id}']")
    expect(row).to_contain_text("acme/demo-repo")
    expect(row).to_contain_text("succeeded")
    shoot(tab, "code-list")

    # a codebase admin (a viewer with the grant) sees it; a viewer without one is told why not
    tab.page.goto(f"{cloud}/code?as=carol#token={issue_token(org, 'viewer', user=f'{org}-carol')}")
    expect(row).to_contain_text("acme/demo-repo")
    expect(tab.page.locator("#summary-cards .card").first).to_contain_text("1")
    tab.page.goto(f"{cloud}/code?as=vera#token={issue_token(org, 'viewer', user=f'{org}-vera')}")
    expect(tab.page.locator("#notice")).to_contain_text("org admins and codebase admins")
    expect(tab.page.locator("#list-view")).to_be_hidden()  # no empty codebases table for her


def test_an_org_admin_without_codebases_is_shown_how_to_add_one(local, tab: Tab):
    admin = issue_token(f"org-{uuid.uuid4().hex[:10]}", "org_admin")
    tab.page.set_viewport_size(DESKTOP)
    tab.page.goto(f"{local.cloud.url}/code#token={admin}")
    expect(tab.page.locator("#no-codebases")).to_be_visible()
    expect(tab.page.locator("#no-codebases")).to_contain_text("POST /api/v1/codebases")
    expect(tab.page.locator("#codebases-table")).to_be_hidden()
    expect(tab.page.locator("#summary-cards .card").first).to_contain_text("0")
    shoot(tab, "code-empty")
