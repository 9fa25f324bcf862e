"""SiteDirectory: domain → active site for ingest, from two reads, cached briefly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tally.sites.directory import SiteDirectory
from tally.sites.items import ClaimItem, SiteItem
from tally.sites.model import Site, SiteStatus

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def site(domain: str = "example.com", status: SiteStatus = SiteStatus.active, site_id: str = "s" * 26) -> Site:
    return Site(site_id=site_id, org_id="demo", domain=domain, timezone="UTC", retention_days=30,
                status=status, created_at=NOW, updated_at=NOW)


class FakeTable:
    """get_item over a dict, counting reads."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.reads = 0

    def put_site(self, s: Site) -> None:
        for item in (SiteItem.of(s).serialize(), ClaimItem.of(s, NOW).serialize()):
            self.items[(item["pk"]["S"], item["sk"]["S"])] = item

    def get_item(self, TableName: str, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.reads += 1
        item = self.items.get((Key["pk"]["S"], Key["sk"]["S"]))
        return {"Item": item} if item else {}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def directory(table: FakeTable, clock: Clock, **kwargs: Any) -> SiteDirectory:
    return SiteDirectory("sites", client=table, clock=clock, ttl_s=60, negative_ttl_s=10, **kwargs)


def test_any_spelling_of_the_domain_finds_the_site():
    table, clock = FakeTable(), Clock()
    table.put_site(site())
    lookup = directory(table, clock)
    for spelling in ("example.com", "WWW.Example.com", "https://www.example.com/page"):
        assert lookup.by_domain(spelling) == site()


def test_unknown_invalid_and_deleting_sites_are_none():
    table, clock = FakeTable(), Clock()
    table.put_site(site("gone.example", SiteStatus.deleting))
    lookup = directory(table, clock)
    assert lookup.by_domain("unknown.example") is None
    assert lookup.by_domain("not a domain") is None
    assert lookup.by_domain("gone.example") is None


def test_answers_are_cached_for_the_ttl_then_read_again():
    table, clock = FakeTable(), Clock()
    table.put_site(site())
    lookup = directory(table, clock)
    lookup.by_domain("example.com")
    lookup.by_domain("www.example.com")
    assert table.reads == 2  # claim + site, once
    clock.now += 59
    lookup.by_domain("example.com")
    assert table.reads == 2
    clock.now += 2
    lookup.by_domain("example.com")
    assert table.reads == 4


def test_unknown_domains_are_cached_only_briefly_so_a_new_site_counts_soon():
    table, clock = FakeTable(), Clock()
    lookup = directory(table, clock)
    assert lookup.by_domain("new.example") is None
    table.put_site(site("new.example"))
    clock.now += 5
    assert lookup.by_domain("new.example") is None
    clock.now += 6
    assert lookup.by_domain("new.example") == site("new.example")


def test_a_claim_pointing_at_a_site_with_another_domain_is_ignored():
    table, clock = FakeTable(), Clock()
    table.put_site(site("old.example"))
    # the site moved to a new domain between the claim read and the site read
    moved = site("new.example")
    table.items[("ORG#demo", f"SITE#{moved.site_id}")] = SiteItem.of(moved).serialize()
    assert directory(table, clock).by_domain("old.example") is None


def test_the_cache_is_bounded():
    table, clock = FakeTable(), Clock()
    lookup = directory(table, clock, max_entries=3)
    for n in range(10):
        lookup.by_domain(f"d{n}.example")
    assert len(lookup._cache) == 3
