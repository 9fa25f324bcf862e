"""Stats exports end to end through the handlers: the ZIP's CSVs equal the stats API's answers for the same
days, tenancy holds, a crashed or repeated job still leaves one complete ZIP, and each user's export
activity lists only their own rows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tally.web.query.metrics import bounce_rate, visit_duration
from tests.apigw import FakeContext
from tests.integration.exports.conftest import (
    import_lines,
    my_exports,
    read_export,
    request_export,
    stats,
    user,
)
from tests.integration.handlers import load_handler_module

FIRST, LAST = date(2026, 9, 1), date(2026, 9, 3)
PAGES = ["/", "/pricing", "/blog/one", "/docs"]
SOURCES = [None, "https://www.google.com/", "https://news.ycombinator.com/item?id=1"]
SUFFIXES = ["", "?utm_source=newsletter&utm_medium=email&utm_campaign=fall", "?ref=hn"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1"]


def traffic(seed: int = 7) -> list[dict[str, Any]]:
    """About 90 lines over three days: visits of 1-4 pageviews and signups, some across midnight."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for n in range(30):
        day = FIRST + timedelta(days=rng.randrange(3))
        at = datetime(day.year, day.month, day.day, rng.choice([9, 14, 23]), rng.randrange(60), tzinfo=UTC)
        for _ in range(rng.choice([1, 1, 2, 3, 4])):
            name = "Signup" if rng.random() < 0.15 else "pageview"
            row = {"id": f"l{len(rows)}", "timestamp": at.isoformat(), "name": name, "visitor": f"v{n}",
                   "url": f"https://shop.test{rng.choice(PAGES)}{rng.choice(SUFFIXES)}"}
            if referrer := rng.choice(SOURCES):
                row["referrer"] = referrer
            rows.append(row)
            at += timedelta(minutes=rng.choice([1, 7, 25, 40]))
    return rows


@pytest.fixture
def shop(make_site, export_cloud):
    site = make_site("shop.test", org="demo", timezone="Europe/Berlin")
    answer = import_lines(site.site_id, traffic(), user("demo", "admin", "org_admin"))
    assert answer.status == 202 and answer.body["accepted"] > 50
    return site


def _int(value: str) -> int:
    return int(value or 0)


def test_the_zip_holds_plausibles_csv_files_equal_to_the_stats_api_for_each_day(shop, export_cloud):
    viewer = user("demo", "viewer")
    accepted = request_export(shop.site_id, viewer, period="custom", **{"from": FIRST.isoformat()},
                              to=LAST.isoformat())
    assert accepted.status == 202
    export_id = accepted.body["export_id"]
    assert read_export(export_id, viewer).body["status"] == "pending"
    export_cloud.run_job()

    status = read_export(export_id, viewer)
    assert status.status == 200 and status.body["status"] == "ready"
    assert status.body["days_done"] == status.body["days"] == 3
    assert status.body["file_name"].startswith("shop_test_") and status.body["file_name"].endswith(".zip")
    assert "X-Amz-Expires=3600" in status.body["download_url"]
    [key] = [k for k in export_cloud.keys(f"demo/exports/{export_id}/") if k.endswith(".zip")]
    assert key in status.body["download_url"] and status.body["size"] > 0
    files = export_cloud.archive(key)
    suffix = f"_{FIRST:%Y%m%d}_{LAST:%Y%m%d}.csv"
    for table in ("visitors", "sources", "pages", "entry_pages", "exit_pages", "custom_events", "locations",
                  "devices", "browsers", "operating_systems"):
        assert f"imported_{table}{suffix}" in files

    for day in (FIRST, FIRST + timedelta(days=1), LAST):
        on = {"period": "day", "date": day.isoformat()}
        overview = stats(shop.site_id, "overview", viewer, **on).body["results"]
        [visitors] = [r for r in files[f"imported_visitors{suffix}"] if r["date"] == day.isoformat()]
        assert _int(visitors["visitors"]) == overview["visitors"]["value"]
        assert _int(visitors["visits"]) == overview["visits"]["value"]
        assert _int(visitors["pageviews"]) == overview["pageviews"]["value"]
        assert bounce_rate(_int(visitors["bounces"]), _int(visitors["visits"])) == overview["bounce_rate"]["value"]
        # whole seconds in the file: the mean can differ from the API's (from milliseconds) by rounding only
        assert abs(visit_duration(_int(visitors["visit_duration"]) * 1000, _int(visitors["visits"]))
                   - overview["visit_duration"]["value"]) <= 1

        for file, prop, column in (("pages", "page", "page"), ("entry_pages", "entry_page", "entry_page"),
                                   ("exit_pages", "exit_page", "exit_page"), ("sources", "source", "source"),
                                   ("locations", "country", "country"), ("devices", "device", "device"),
                                   ("browsers", "browser", "browser"), ("operating_systems", "os", "operating_system"),
                                   ("custom_events", "event:name", "name"),
                                   ("tally_referrers", "referrer", "referrer"),
                                   ("tally_utm_sources", "utm_source", "utm_source")):
            api = stats(shop.site_id, "breakdown", viewer, property=prop, limit="1000", **on).body["results"]
            rows = [r for r in files[f"{'' if file.startswith('tally_') else 'imported_'}{file}{suffix}"]
                    if r["date"] == day.isoformat()]
            if prop == "event:name":
                api = [a for a in api if a["value"] != "pageview"]
            assert [r[column] for r in rows] == [a["value"] for a in api], (file, day)
            for row, answer in zip(rows, api, strict=True):
                assert _int(row["visitors"]) == answer["visitors"]
                if answer.get("pageviews") is not None and prop == "page":
                    assert _int(row["pageviews"]) == answer["pageviews"]
                if answer.get("events") is not None:
                    assert _int(row["events"]) == answer["events"]
                if answer.get("visits") is not None:
                    visits = _int(row.get("visits") or row.get("entrances") or row.get("exits") or "0")
                    assert visits == answer["visits"]
                    assert bounce_rate(_int(row["bounces"]), visits) == answer["bounce_rate"]


def audit_rows(aws, org: str, user_id: str) -> list[tuple[str, str, str]]:
    from tally.usage.keys import audit_pk

    items = boto3.client("dynamodb").query(
        TableName=aws["UsageTable"], KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": audit_pk(org, user_id)}})["Items"]
    return [(i["action"]["S"], i["resource"]["M"]["id"]["S"], i["result"]["S"]) for i in items]


def test_only_the_requester_and_org_admins_read_an_export_and_other_orgs_see_nothing(aws, shop, export_cloud,
                                                                                      make_site):
    viewer, colleague, admin = user("demo", "viewer"), user("demo", "colleague"), user("demo", "admin", "org_admin")
    export_id = request_export(shop.site_id, viewer, period="day", date=FIRST.isoformat()).body["export_id"]
    assert read_export(export_id, viewer).status == 200
    assert read_export(export_id, admin).status == 200
    assert read_export(export_id, colleague).status == 404
    assert read_export(export_id, user("rival", "admin", "org_admin")).status == 404
    # every status read is a data-access row of its reader (tally.usage.audit), a refused one too
    assert audit_rows(aws, "demo", "demo-viewer") == [("export.download", export_id, "ok")]
    assert audit_rows(aws, "demo", "demo-colleague") == [("export.download", export_id, "not_found")]
    # another org's site cannot be exported, nor a site id that does not exist
    rival = make_site("rival.test", org="rival")
    assert request_export(rival.site_id, viewer, period="day").status == 404
    assert request_export("s_nope", viewer, period="day").status == 404
    assert request_export(shop.site_id, {"authenticated": False}, period="day").status == 401
    assert request_export(shop.site_id, viewer, period="custom").status == 422


def test_a_crashed_and_repeated_job_writes_one_complete_zip(shop, export_cloud, monkeypatch):
    viewer = user("demo", "viewer")
    query = {"period": "custom", "from": FIRST.isoformat(), "to": LAST.isoformat()}
    clean_id = request_export(shop.site_id, viewer, **query).body["export_id"]
    export_cloud.run_job()
    crashed_id = request_export(shop.site_id, viewer, **query).body["export_id"]
    [message] = export_cloud.messages()

    from tally.exports.store import S3ExportFiles

    # the first run dies right after writing the ZIP (before the export says ready) ...
    put_archive = S3ExportFiles.put_archive

    def crash(self, export, body):
        put_archive(self, export, body)
        raise RuntimeError("the container died")

    monkeypatch.setattr(S3ExportFiles, "put_archive", crash)
    job = load_handler_module("ExportJobFunction")
    record = {"messageId": "m1", "receiptHandle": "r", "body": message["Body"], "attributes": {},
              "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
              "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:exports", "awsRegion": "us-east-1"}
    with pytest.raises(BatchProcessingError):  # the whole batch failed: Lambda leaves the message to the queue
        job.lambda_handler({"Records": [record]}, FakeContext())
    assert read_export(crashed_id, viewer).body["status"] == "running"
    monkeypatch.setattr(S3ExportFiles, "put_archive", put_archive)
    # ... the queue delivers it again, twice (a duplicate)
    for _ in range(2):
        assert job.lambda_handler({"Records": [record]}, FakeContext())["batchItemFailures"] == []

    assert read_export(crashed_id, viewer).body["status"] == "ready"
    zips = [k for k in export_cloud.keys(f"demo/exports/{crashed_id}/") if k.endswith(".zip")]
    assert len(zips) == 1
    [clean] = [k for k in export_cloud.keys(f"demo/exports/{clean_id}/") if k.endswith(".zip")]
    s3 = boto3.client("s3")
    assert (s3.get_object(Bucket=export_cloud.bucket, Key=zips[0])["Body"].read()
            == s3.get_object(Bucket=export_cloud.bucket, Key=clean)["Body"].read())


def test_a_job_out_of_time_continues_from_its_checkpoint(shop, export_cloud, monkeypatch):
    viewer = user("demo", "viewer")
    export_id = request_export(shop.site_id, viewer, period="custom", **{"from": FIRST.isoformat()},
                               to=LAST.isoformat()).body["export_id"]
    monkeypatch.setenv("JOB_RESERVE_MS", str(10**9))  # never time for a second day: one day per run
    from tally.exports.settings import exports_settings

    exports_settings.cache_clear()
    assert export_cloud.run_job() == 3
    status = read_export(export_id, viewer).body
    assert status["status"] == "ready" and status["days_done"] == 3


def test_my_export_activity_lists_only_my_requests_downloads_and_imports(shop, export_cloud):
    viewer, admin, colleague = user("demo", "viewer"), user("demo", "admin", "org_admin"), user("demo", "colleague")
    assert my_exports(colleague).body == {"last_export": None, "rows": [], "next_cursor": None}
    first = request_export(shop.site_id, viewer, period="day", date=FIRST.isoformat()).body["export_id"]
    second = request_export(shop.site_id, viewer, period="day", date=LAST.isoformat()).body["export_id"]
    export_cloud.run_job()
    read_export(first, viewer)  # ready: hands out a URL, a download

    page = my_exports(viewer, limit="2").body
    assert page["last_export"]["export_id"] == second and page["last_export"]["status"] == "ready"
    assert [r["action"] for r in page["rows"]] == ["export.download", "export.requested"]
    rest = my_exports(viewer, limit="2", cursor=page["next_cursor"]).body
    assert [r["action"] for r in rest["rows"]] == ["export.requested"] and rest["next_cursor"] is None
    assert {r["export_id"] for r in page["rows"] + rest["rows"]} == {first, second}

    imports = my_exports(admin).body["rows"]
    assert [r["action"] for r in imports] == ["import.events"]
    assert imports[0]["accepted"] > 50 and imports[0]["rejected"] == 0 and imports[0]["resource"] == "shop.test"
    assert my_exports(colleague).body["rows"] == []
    assert my_exports(user("rival", "viewer")).body["rows"] == []
    assert my_exports(viewer, cursor="bm9wZQ").status == 422
