"""Figures from totals, contributions, client addressing, ETags and the header fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.public_stats.cache import CachedStats
from tally.public_stats.figures import figures_from, hours
from tally.public_stats.http import cache_control, etag_matches
from tally.public_stats.ratelimit import LocalCounter, RateDecision, client_address, hashed_client
from tally.totals.counters import Contribution, Totals, site_created
from tally.totals.store import TOTALS_SHARDS, shard_key


def test_hours_recorded_rounds_half_up_to_one_decimal():
    assert hours(0) == 0.0
    assert hours(180_000) == 0.1  # 0.05 h rounds up, not to even
    assert hours(179_999) == 0.0
    assert hours(5_400_000) == 1.5
    assert hours(36_000_000_000_000) == 10_000_000.0
    assert hours(-5) == 0.0  # a difference taken back before it was added never shows below zero


def test_nothing_recorded_reads_zero_never_an_invented_figure():
    stats = figures_from(Totals(), datetime(2026, 1, 1, tzinfo=UTC))
    assert stats.model_dump(exclude={"generated_at"}) == {
        "sites": 0, "pageviews": 0, "hours_recorded": 0.0, "repositories_analyzed": 0}


def test_only_sites_created_since_2024_are_counted():
    assert site_created(datetime(2023, 12, 31, 23, 59, tzinfo=UTC)).sites == 0
    assert site_created(datetime(2024, 1, 1, tzinfo=UTC)).sites == 1


def test_a_contribution_only_adds():
    with pytest.raises(ValueError, match="only adds"):
        Contribution(pageviews=-1)


@given(st.text(min_size=1))
def test_a_contribution_always_lands_on_the_same_existing_shard(contribution_id):
    key = shard_key(contribution_id)
    assert key == shard_key(contribution_id)
    assert 0 <= int(key.removeprefix("shard#")) < TOTALS_SHARDS


@pytest.mark.parametrize(("source_ip", "address"), [
    ("198.51.100.23", "198.51.100.23"),
    (" 198.51.100.23 ", "198.51.100.23"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
    ("::ffff:198.51.100.23", "198.51.100.23"),
    ("", "unknown"),
    (None, "unknown"),
    ("not-an-ip", "unknown"),
])
def test_a_limit_applies_to_an_ipv4_address_or_an_ipv6_slash_64(source_ip, address):
    assert client_address(source_ip) == address


@given(st.ip_addresses().map(str))
def test_the_stored_key_never_contains_the_address(ip):
    key = hashed_client(b"some salt", client_address(ip))
    assert ip not in key and client_address(ip) not in key
    assert key != hashed_client(b"another salt", client_address(ip))


def test_rate_limit_headers_are_sent_with_their_policy():
    assert RateDecision(True, 10, 3, 42).headers() == {
        "RateLimit-Limit": "10", "RateLimit-Remaining": "3", "RateLimit-Reset": "42", "RateLimit-Policy": "10;w=60"}


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 3)), max_size=80))
def test_the_fallback_counter_allows_exactly_the_limit_per_address_and_window(hits):
    counter, allowed = LocalCounter(), {}
    for address, window in sorted(hits, key=lambda h: h[1]):
        if counter.hit(address, window * 60, 4) is not None:
            allowed[(address, window)] = allowed.get((address, window), 0) + 1
    expected = {}
    for address, window in hits:
        expected[(address, window)] = min(4, expected.get((address, window), 0) + 1)
    assert allowed == expected


ENTRY = CachedStats(version=3, payload='{"sites":1}', computed_at=0.0, fresh_until=10.0, delta_s=0.0)


def test_the_etag_names_the_version_and_the_content():
    assert ENTRY.etag.startswith('"v3-') and ENTRY.etag.endswith('"')
    assert ENTRY.etag != CachedStats(4, ENTRY.payload, 0.0, 10.0, 0.0).etag
    assert ENTRY.etag != CachedStats(3, '{"sites":2}', 0.0, 10.0, 0.0).etag


@pytest.mark.parametrize(("header", "matches"), [
    (None, False),
    ("", False),
    (ENTRY.etag, True),
    (f"W/{ENTRY.etag}", True),
    (f'"other", {ENTRY.etag}', True),
    ("*", True),
    ('"v3-0000000000000000"', False),
])
def test_if_none_match_uses_weak_comparison_over_a_list(header, matches):
    assert etag_matches(header, ENTRY.etag) is matches


def test_cache_control_is_public_with_max_age_and_stale_while_revalidate():
    assert cache_control(120, 600) == "public, max-age=120, stale-while-revalidate=600"
    assert cache_control(-5, 600) == "public, max-age=0, stale-while-revalidate=600"
