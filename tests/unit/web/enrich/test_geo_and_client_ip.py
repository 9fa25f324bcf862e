"""Country from CloudFront's header or a local MaxMind DB (never an outside call); the client's address."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tally.web.enrich.geo import country_from, open_geoip
from tally.web.enrich.network import client_ip
from tally.web.enrich.settings import EnrichSettings

# MaxMind's own test database (from the maxminddb sdist; MIT/Apache-2.0, see the LICENSE file beside it).
TEST_DB = Path(__file__).parent / "data" / "GeoLite2-Country-Test.mmdb"


@pytest.fixture(scope="module")
def geoip():
    return open_geoip(str(TEST_DB))


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("enrichment must never open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_cloudfront_header_decides_first(geoip):
    assert country_from({"cloudfront-viewer-country": "de"}, "2.125.160.216", geoip) == "DE"


def test_without_the_header_the_local_database_is_asked(geoip, no_network):
    assert country_from({}, "2.125.160.216", geoip) == "GB"
    assert country_from({}, "89.160.20.112", geoip) == "SE"
    assert country_from({}, "2001:218::1", geoip) == "JP"


def test_the_registered_country_of_an_isp_is_not_the_visitors_country(geoip):
    # 2.125.160.216 is used in GB and registered to an ISP in FR: the visitor is in GB.
    assert country_from(None, "2.125.160.216", geoip) == "GB"


@pytest.mark.parametrize("ip", ["8.8.8.8", "127.0.0.1", "not-an-ip", "", None])
def test_an_address_the_database_does_not_know_has_no_country(geoip, ip):
    assert country_from({}, ip, geoip) is None


def test_without_header_or_database_the_country_is_unknown():
    assert country_from({}, "2.125.160.216", None) is None


@pytest.mark.parametrize("value", ["XX", "ZZ", "T1", "", "DEU", "1", "d e"])
def test_header_values_that_are_not_country_codes_are_ignored(value):
    assert country_from({"cloudfront-viewer-country": value}, None, None) is None


def test_no_database_is_opened_unless_a_path_is_configured(monkeypatch):
    monkeypatch.delenv("GEOIP_DATABASE", raising=False)
    monkeypatch.delenv("TRUST_FORWARDED_FOR", raising=False)

    assert EnrichSettings() == EnrichSettings(geoip_database="", trust_forwarded_for=False)


def http_event(source_ip: str | None, forwarded_for: str | None = None) -> dict:
    """The parts of an API Gateway HTTP API (payload 2.0) event that carry addresses."""
    headers = {"content-type": "text/plain", "user-agent": "Mozilla/5.0"}
    if forwarded_for is not None:
        headers["x-forwarded-for"] = forwarded_for
    http = {"method": "POST", "path": "/api/event", "protocol": "HTTP/1.1", "userAgent": "Mozilla/5.0"}
    if source_ip is not None:
        http["sourceIp"] = source_ip
    return {"version": "2.0", "routeKey": "POST /api/event", "rawPath": "/api/event", "headers": headers,
            "requestContext": {"http": http, "routeKey": "POST /api/event", "stage": "$default"}}


def test_the_client_ip_is_api_gateways_source_ip_and_the_forwarded_header_is_ignored_by_default():
    assert client_ip(http_event("198.51.100.23", "203.0.113.9, 198.51.100.23")) == "198.51.100.23"


def test_behind_a_trusted_proxy_the_first_forwarded_address_is_the_client():
    event = http_event("130.176.1.1", "203.0.113.9, 130.176.1.1")

    assert client_ip(event, trust_forwarded_for=True) == "203.0.113.9"


@pytest.mark.parametrize(("forwarded", "expected"), [
    ("2001:db8::1", "2001:db8::1"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("203.0.113.9:51234", "203.0.113.9"),
    ("unknown, 203.0.113.9", "198.51.100.23"),  # not an address: fall back to the source IP
    ("", "198.51.100.23"),
])
def test_forwarded_addresses_are_validated(forwarded, expected):
    assert client_ip(http_event("198.51.100.23", forwarded), trust_forwarded_for=True) == expected


def test_an_event_without_a_source_ip_has_no_client_ip():
    assert client_ip(http_event(None)) is None
    assert client_ip({}) is None
