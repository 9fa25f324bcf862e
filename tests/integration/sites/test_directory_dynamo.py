"""SiteDirectory against the sites table: what ingest will see after each API action."""

from __future__ import annotations

import os

from tally.sites.directory import SiteDirectory
from tests.integration.sites.conftest import create


def fresh() -> SiteDirectory:
    return SiteDirectory(os.environ["SITES_TABLE"], ttl_s=0, negative_ttl_s=0)


def test_ingest_finds_a_site_by_any_spelling_of_its_domain_and_follows_changes(call):
    site = create(call, "Tracked.example", timezone="Asia/Tokyo")
    found = fresh().by_domain("https://www.tracked.example/pricing")
    assert found is not None
    assert (found.site_id, found.org_id, found.timezone) == (site["site_id"], "demo", "Asia/Tokyo")

    call("PATCH", site["site_id"], body={"domain": "renamed.example"})
    assert fresh().by_domain("tracked.example") is None
    assert fresh().by_domain("renamed.example").site_id == site["site_id"]

    call("DELETE", site["site_id"])
    assert fresh().by_domain("renamed.example") is None  # a site being deleted takes no more events


def test_unknown_domains_are_none(call):
    assert fresh().by_domain("nobody.example") is None
