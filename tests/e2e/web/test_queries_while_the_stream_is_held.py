"""Over the local cloud, with the raw-event stream held back: every answer is exact, marked
incomplete, or 503 — never a silent undercount, a timeout or API Gateway's Internal Server Error.

While `cloud.delivery.holding("AggregatorFunction")` holds the stream (nothing reaches the
aggregator), 1,500 lines over three past days are imported and live events are sent, and the
site's stats are read at once: the import and ingest marked their hours themselves, so the plan
sees them. (30,000 events, past the raw read bound, run against moto directly:
tests/integration/web/query/test_bounded_queries_after_a_big_import.py.) After the stream is
released and everything is sealed, the same answers are complete. A site being deleted answers
404 on its stats.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tally_dev.template import ROOT
from tests.integration.web.query.test_bounded_queries_after_a_big_import import traffic_between
from tests.integration.web.query.test_imported_traffic_equals_brute_force import TZ, ZONE, Brute, between

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/126.0.0.0 Safari/537.36")


def answer(http: httpx.Client, path: str, **query: str) -> dict[str, Any] | None:
    """The stats answer, or None for a 503 in Tally's error shape with Retry-After. Anything else fails."""
    response = http.get(path, params=query)
    if response.status_code == 503:
        assert response.headers["retry-after"].isdigit(), response.headers
        assert response.json()["error"]["code"] == "service_unavailable"
        return None
    assert response.status_code == 200, (response.status_code, response.text)  # no 500, no 504
    assert "message" not in response.json()  # API Gateway's own {"message": ...} never reaches a client
    return response.json()


def assert_equal(figures: dict[str, Any], expected: dict[str, Any]) -> None:
    """Every figure exact; visitors an HLL estimate (within 2 %)."""
    figures, expected = dict(figures), dict(expected)
    visitors, expected_visitors = figures.pop("visitors"), expected.pop("visitors")
    assert abs(visitors - expected_visitors) <= 0.02 * expected_visitors
    assert figures == expected


def assert_exact_or_marked(body: dict[str, Any] | None, brute: Brute, first: date, last: date,
                           figures: dict[str, Any], extra_pageviews: int = 0) -> None:
    if body is None:
        return
    days = between(first, last)
    if body["complete"]:
        expected = brute.overview(days)
        assert figures["pageviews"] == expected["pageviews"] + extra_pageviews, (first, last)
        if not extra_pageviews:
            assert_equal(figures, expected)
        return
    spans = [(int(datetime.fromisoformat(s["from"]).timestamp() * 1000),
              int(datetime.fromisoformat(s["to"]).timestamp() * 1000)) for s in body["pending"]["spans"]]
    assert spans and body["pending"]["hours"] > 0

    def outside(ts: int) -> bool:
        return not any(a <= ts < b for a, b in spans)

    visits = sum(1 for v in brute.visits if days(v.day) and outside(v.hits[0].ts_ms))
    assert figures["visits"] >= visits  # live events may add visits; imported ones are all counted


def test_with_the_stream_held_back_answers_are_exact_or_marked_and_a_deleted_site_is_404(local):
    cloud = local.cloud
    admin = {"Authorization": f"Bearer {local.demo.token('demo', 'org_admin')}"}
    domain = f"held-{uuid.uuid4().hex[:8]}.test"
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    with httpx.Client(base_url=cloud.url, timeout=60, headers=admin) as http:
        site = http.post("/api/v1/sites", json={"domain": domain, "timezone": TZ}).json()["site_id"]
        stats = f"/api/v1/sites/{site}/stats"
        lines = traffic_between(int((now - timedelta(days=3)).timestamp() * 1000),
                                int((now - timedelta(hours=3)).timestamp() * 1000), 1_500, domain=domain, seed=11)
        brute = Brute(lines)
        first = (now - timedelta(days=3)).astimezone(ZONE).date()
        with cloud.delivery.holding("AggregatorFunction"):
            aggregated = len(cloud.delivery.deliveries("AggregatorFunction"))  # none from here on
            response = http.post(f"{stats.removesuffix('/stats')}/events/import",
                                 content="\n".join(json.dumps(x) for x in lines).encode(),
                                 headers={"Content-Type": "application/x-ndjson"})
            assert response.status_code == 202 and response.json()["accepted"] == len(lines)
            for n in range(3):
                event = {"n": "pageview", "u": f"https://{domain}/live{n}", "d": domain}
                sent = http.post("/api/event", content=json.dumps(event),
                                  headers={"user-agent": CHROME, "content-type": "text/plain"})
                assert sent.status_code == 202
            # at once, the stream still held
            body = answer(http, f"{stats}/overview", period="custom", **{"from": first.isoformat(),
                                                                          "to": today.isoformat()})
            if body is not None:
                assert_exact_or_marked(body, brute, first, today, {k: v["value"] for k, v in body["results"].items()},
                                       extra_pageviews=3)
            body = answer(http, f"{stats}/timeseries", interval="day", period="custom",
                          **{"from": first.isoformat(), "to": (today - timedelta(days=1)).isoformat()})
            for point in body["results"] if body else []:
                day = date.fromisoformat(point.pop("date"))
                assert_exact_or_marked(body, brute, day, day, point)
            body = answer(http, f"{stats}/overview", period="day", date=today.isoformat())
            assert body is None or not body["complete"] or body["results"]["pageviews"]["value"] == \
                brute.overview(between(today, today))["pageviews"] + 3  # the live events are counted
            assert len(cloud.delivery.deliveries("AggregatorFunction")) == aggregated  # the stream was held

        cloud.delivery.settle()
        sealer_event = {**json.loads((ROOT / "events" / "sealer.json").read_text()), "id": str(uuid.uuid4())}
        cloud.invoke("SealerFunction", sealer_event)
        last = today - timedelta(days=1)
        body = answer(http, f"{stats}/overview", period="custom", **{"from": first.isoformat(), "to": last.isoformat()})
        assert body is not None and body["complete"] and body["pending"] is None
        assert_equal({k: v["value"] for k, v in body["results"].items()}, brute.overview(between(first, last)))

        assert http.delete(f"/api/v1/sites/{site}").status_code == 202
        response = http.get(f"{stats}/overview")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
