"""Serving a static file: content negotiation (gzip), validators (ETag, If-None-Match) and 304s."""

from __future__ import annotations

import gzip

import pytest

from tally.platform.static import StaticAsset, accepts_gzip, names_etag

ASSET = StaticAsset.of(b"body { color: black }\n" * 20, "text/css; charset=utf-8")


@pytest.mark.parametrize("encoding", ["", "gzip", "GZIP", "br, gzip;q=0.5", "*", "x-gzip", "deflate, *;q=0.1"])
def test_gzip_is_accepted_when_listed_with_a_positive_weight(encoding):
    assert accepts_gzip(encoding) is (encoding != "")


@pytest.mark.parametrize("encoding", [None, "identity", "br", "gzip;q=0", "gzip;q=0.0, br", "*;q=0", "gzip;q=x",
                                      "*, gzip;q=0"])
def test_gzip_is_refused_when_absent_or_weighted_zero(encoding):
    assert accepts_gzip(encoding) is False


@pytest.mark.parametrize("header", ['W/"stale", {etag}', "{strong}", "*"])
def test_if_none_match_compares_weakly_and_accepts_lists_and_star(header):
    strong = ASSET.etag.removeprefix("W/")

    assert names_etag(header.format(etag=ASSET.etag, strong=strong), ASSET.etag)


@pytest.mark.parametrize("header", [None, "", 'W/"stale"', '"other", W/"older"'])
def test_if_none_match_naming_other_tags_does_not_match(header):
    assert not names_etag(header, ASSET.etag)


def test_the_etag_is_weak_and_names_the_content():
    same = StaticAsset.of(ASSET.raw, "text/plain")
    other = StaticAsset.of(ASSET.raw + b" ", ASSET.content_type)

    assert ASSET.etag.startswith('W/"') and ASSET.etag == same.etag != other.etag
    assert ASSET.digest in ASSET.etag and '"' not in ASSET.digest


def test_a_response_carries_the_callers_headers_the_etag_and_vary():
    response = ASSET.response(None, None, {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    assert response.status_code == 200
    assert response.body == ASSET.text
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["ETag"] == ASSET.etag
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "Content-Encoding" not in response.headers


def test_gzip_is_sent_when_accepted_and_the_gzip_is_deterministic():
    response = ASSET.response("gzip, br", None)

    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.body) == ASSET.raw
    assert StaticAsset.of(ASSET.raw, ASSET.content_type).gzipped == ASSET.gzipped  # mtime=0: same bytes


def test_a_matching_if_none_match_answers_304_with_validators_and_no_body():
    response = ASSET.response("gzip", ASSET.etag, {"Cache-Control": "no-cache"})

    assert response.status_code == 304
    assert response.body is None
    assert response.headers["ETag"] == ASSET.etag
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Content-Encoding" not in response.headers
