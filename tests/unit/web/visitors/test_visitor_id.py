"""visitor_id: a keyed hash that is deterministic, salt- and site-specific, and reveals nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tally.web.visitors.visitor_id import visitor_id

salts = st.binary(min_size=16, max_size=64)
sites = st.text(min_size=1, max_size=40)
ips = st.ip_addresses().map(str)
uas = st.text(max_size=300)

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


@given(salts, sites, ips, uas)
def test_the_same_inputs_always_give_the_same_32_hex_character_id(salt, site, ip, ua):
    first = visitor_id(salt, site, ip, ua)

    assert first == visitor_id(salt, site, ip, ua)
    assert re.fullmatch(r"[0-9a-f]{32}", first)


@given(salts, salts, sites, ips, uas)
def test_another_salt_gives_another_id(salt, other_salt, site, ip, ua):
    assume(salt != other_salt)

    assert visitor_id(salt, site, ip, ua) != visitor_id(other_salt, site, ip, ua)


@given(salts, sites, sites, ips, uas)
def test_another_site_gives_another_id(salt, site, other_site, ip, ua):
    assume(site != other_site)

    assert visitor_id(salt, site, ip, ua) != visitor_id(salt, other_site, ip, ua)


def test_fields_cannot_run_into_each_other():
    salt = bytes(32)

    assert visitor_id(salt, "site", "1.2.3.4", "ab") != visitor_id(salt, "site", "1.2.3.4a", "b")
    assert visitor_id(salt, "site1", "1.2.3.4", UA) != visitor_id(salt, "site", "11.2.3.4", UA)


def test_the_id_contains_neither_the_ip_nor_the_user_agent():
    vid = visitor_id(b"k" * 32, "site", "203.0.113.9", UA)

    assert "203.0.113.9" not in vid and "Mozilla" not in vid


@pytest.mark.parametrize("salt", [b"", b"short", bytes(65)])
def test_salts_must_be_16_to_64_bytes(salt):
    with pytest.raises(ValueError, match="16 to 64"):
        visitor_id(salt, "site", "203.0.113.9", UA)
