"""POST /api/v1/sites/{site_id}/events/import: per-line errors, good lines kept, re-sends count once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3

from tests.apigw import FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module

NOW = datetime.now(UTC).replace(microsecond=0)


def lines(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"L{i}", "timestamp": (NOW - timedelta(hours=2, minutes=i)).isoformat(), "name": "pageview",
             "url": f"https://example.com/p{i % 5}", "referrer": "https://news.ycombinator.com/",
             "visitor": f"person-{i % 17}"} for i in range(start, start + n)]


def send(site_id: str, rows, *, org="demo", role="org_admin"):
    body = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows)
    event = http_event("POST", f"/api/v1/sites/{site_id}/events/import",
                       route="POST /api/v1/sites/{site_id}/events/import", body=body,
                       headers={"content-type": "application/x-ndjson"},
                       claims=caller_claims(org, role), path_parameters={"site_id": site_id})
    response = load_handler_module("EventImportFunction").lambda_handler(event, FakeContext())
    return response["statusCode"], json.loads(response["body"])


def raw_count(aws) -> int:
    return sum(1 for i in boto3.client("dynamodb").scan(TableName=aws["EventsTable"])["Items"] if "n" in i)


def test_good_lines_are_kept_and_bad_lines_reported_with_their_number(web_env, site):
    s = site("example.com")
    too_old = {**lines(1, 10)[0], "timestamp": "2001-01-01T00:00:00Z"}
    rows = [*lines(3), "{broken", {"id": "x", "name": "pageview"}, too_old]
    status, body = send(s.site_id, rows)
    assert status == 202
    assert body["accepted"] == 3
    assert body["rejected"] == 3
    assert [e["line"] for e in body["errors"]] == [4, 5, 6]
    assert "retention" in body["errors"][2]["reason"]
    assert raw_count(web_env) == 3


def test_sending_the_same_import_three_times_in_overlapping_pieces_stores_each_line_once(web_env, site):
    s = site("example.com")
    rows = lines(300)
    for piece in (rows[:200], rows[100:], rows):
        assert send(s.site_id, piece)[0] == 202
    assert raw_count(web_env) == 300


def test_an_import_is_acknowledged_only_once_every_hour_it_touches_is_marked_one_write_per_hour(web_env, site):
    from tally.web.aggregate.marking import hours_touched
    from tally.web.aggregate.marks import DirtyMarks
    from tally.web.aggregate.raw_store import from_item
    from tally.web.aggregate.zones import Grain, bucket_start

    s = site("example.com", timezone="America/Santiago")
    assert send(s.site_id, lines(300))[0] == 202
    events = [from_item(i) for i in boto3.client("dynamodb").scan(TableName=web_env["EventsTable"])["Items"]
              if "n" in i]
    hours = set().union(*(hours_touched(e, s.timezone) for e in events))
    days = {bucket_start(Grain.day, h, s.timezone) for h in hours}
    marks = DirtyMarks(web_env["RollupsTable"])
    # no stream record was read: every hour the lines can change, and its day, is marked — once each
    found = {(m.grain, m.start_ms): m.version for grain in (Grain.hour, Grain.day)
             for m in marks.states(s.site_id, grain, 0, 2**42)}
    assert found == {**{(Grain.hour, h): 1 for h in hours}, **{(Grain.day, d): 1 for d in days}}
    assert len(hours) < len(events)


def test_imported_visitors_are_stored_only_hashed(web_env, site):
    s = site("example.com")
    send(s.site_id, lines(5))
    dump = json.dumps(boto3.client("dynamodb").scan(TableName=web_env["EventsTable"])["Items"])
    assert "person-" not in dump


def test_another_orgs_site_is_404_and_a_viewer_is_403(web_env, site):
    s = site("example.com")
    assert send(s.site_id, lines(1), org="rival")[0] == 404
    assert send(s.site_id, lines(1), role="viewer")[0] == 403
    assert raw_count(web_env) == 0


def test_more_than_ten_thousand_lines_is_413(web_env, site):
    s = site("example.com")
    status, body = send(s.site_id, ["{}"] * 10_001)
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
