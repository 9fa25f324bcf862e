"""Request models, ids and list cursors of the sites API."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tally.platform.errors import InvalidInput
from tally.sites.cursor import decode_cursor, encode_cursor
from tally.sites.ids import is_site_id, new_site_id
from tally.sites.model import DEFAULT_RETENTION_DAYS, SiteCreate, SitePatch


def test_a_new_site_defaults_to_utc_and_the_default_retention():
    site = SiteCreate(domain="https://www.Example.com/")
    assert (site.domain, site.timezone, site.retention_days) == ("example.com", "UTC", DEFAULT_RETENTION_DAYS)


@pytest.mark.parametrize(("fields", "field"), [
    ({"domain": "localhost"}, "domain"),
    ({"domain": "example.com", "timezone": "Mars/Base"}, "timezone"),
    ({"domain": "example.com", "retention_days": 0}, "retention_days"),
    ({"domain": "example.com", "retention_days": 3651}, "retention_days"),
    ({"domain": "example.com", "org_id": "rival"}, "org_id"),  # the org is never a field
    ({}, "domain"),
])
def test_invalid_fields_are_named(fields, field):
    with pytest.raises(ValidationError) as raised:
        SiteCreate(**fields)
    assert [e["loc"][0] for e in raised.value.errors()] == [field]


def test_a_patch_must_change_something_and_cannot_null_a_field():
    with pytest.raises(ValidationError, match="at least one"):
        SitePatch()
    with pytest.raises(ValidationError, match="timezone cannot be null"):
        SitePatch(timezone=None)
    assert SitePatch(retention_days=30, timezone="europe/paris").changes() == {
        "retention_days": 30, "timezone": "Europe/Paris"}


def test_site_ids_are_opaque_unique_and_sort_by_creation_time():
    ids = [new_site_id(now_ms=ms) for ms in (1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000)]
    assert ids == sorted(ids)
    assert all(is_site_id(i) for i in ids)
    assert len({new_site_id() for _ in range(1000)}) == 1000


def test_a_cursor_round_trips_and_a_forged_one_is_422():
    site_id = new_site_id()
    assert decode_cursor(encode_cursor(site_id)) == site_id
    for forged in ("", "nope", encode_cursor("ORG#rival"), "czE", "!!!"):
        with pytest.raises(InvalidInput) as raised:
            decode_cursor(forged)
        assert raised.value.details[0]["field"] == "cursor"
