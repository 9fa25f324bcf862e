"""GET /js/script.js over real HTTP on the local cloud (routed from template.yaml): public, gzipped, cacheable."""

from __future__ import annotations

import gzip

from tally.web.tracker import tracker_script


def test_the_local_cloud_serves_the_tracker_gzipped_without_credentials(local):
    response = local.http.get("/js/script.js", headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == tracker_script().text  # httpx decoded the gzip
    assert len(gzip.compress(response.content, compresslevel=9)) <= 2048


def test_the_local_cloud_answers_304_to_the_current_etag(local):
    etag = local.http.get("/js/script.js").headers["etag"]

    response = local.http.get("/js/script.js", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_the_local_cloud_answers_head_like_get_without_a_body(local):
    get = local.http.get("/js/script.js")

    head = local.http.head("/js/script.js")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-type"] == get.headers["content-type"]
