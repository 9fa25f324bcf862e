"""A site's time zone is an IANA name this runtime can load, stored in its canonical spelling."""

from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.sites.timezones import InvalidTimezone, canonical_timezone


@pytest.mark.parametrize(("name", "canonical"), [
    ("UTC", "UTC"),
    ("utc", "UTC"),
    ("Europe/Berlin", "Europe/Berlin"),
    ("europe/berlin", "Europe/Berlin"),
    (" America/Santiago ", "America/Santiago"),
    ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("Etc/GMT+5", "Etc/GMT+5"),
    ("US/Pacific", "US/Pacific"),  # a backward-compatible IANA link is still an IANA name
])
def test_iana_names_are_accepted_in_canonical_spelling(name, canonical):
    assert canonical_timezone(name) == canonical


@pytest.mark.parametrize("name", [
    "", "Mars/Olympus_Mons", "Europe/Berlinn", "GMT+25", "+02:00", "CEST", "localtime", "posixrules",
    "../../etc/passwd", "/usr/share/zoneinfo/UTC", "Europe/../UTC", "x" * 65,
])
def test_anything_else_is_rejected(name):
    with pytest.raises(InvalidTimezone, match="IANA"):
        canonical_timezone(name)


@given(st.sampled_from(sorted(available_timezones() - {"localtime", "posixrules", "Factory"})))
def test_every_zone_of_the_database_is_accepted_and_loads(name):
    assert ZoneInfo(canonical_timezone(name.swapcase())).key == name


@given(st.text(max_size=40))
def test_whatever_is_accepted_loads(name):
    try:
        canonical = canonical_timezone(name)
    except InvalidTimezone:
        return
    assert ZoneInfo(canonical).key == canonical
