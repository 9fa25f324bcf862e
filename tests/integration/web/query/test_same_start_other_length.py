"""A stored bucket is reused only when its extent is the planned one: Kolkata's hour starting at
2022-10-01 15:30 UTC lasts 60 minutes, Lord Howe's (its DST moves clocks by 30 minutes, 02:00 →
02:30) lasts 30. The rollup, its packed minutes and its mark share one key in both zones. After a
change from Kolkata to Lord Howe, minute, hour and day series and the overview equal a brute-force
recount — right after the change, with a forged mark that claims the Kolkata rollup for Lord Howe's
hour (the reader must check the extent, not only the start), and once re-bucketed and sealed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tally.web.aggregate.zones import HOUR_MS, MINUTE_MS, Grain, bucket_end, day_bounds
from tests.integration.web.aggregate.test_platform_totals_from_sealing import (
    FAR,
    KOLKATA,
    LORD_HOWE,
    LORD_HOWE_DST,
    Platform,
    cluster,
)
from tests.integration.web.query.test_time_zone_change import expected_metrics, get
from tests.unit.web.aggregate.oracle import expected_by

DAY = date(2022, 10, 2)  # Lord Howe's local day of the DST change (23.5 hours long)


def assert_exact(site: Any, zone: str, moment: str) -> None:
    days = {"period": "day", "date": DAY.isoformat()}
    start, end = day_bounds(DAY, zone)
    overview = get(site, "overview", **days)["results"]
    assert (overview["visitors"]["value"], overview["visits"]["value"], overview["pageviews"]["value"],
            overview["bounce_rate"]["value"], overview["visit_duration"]["value"]) == \
        expected_metrics(site.events, start, end), moment
    for interval, width in (("hour", None), ("minute", MINUTE_MS)):
        for point in get(site, "timeseries", interval=interval, **days)["results"]:
            at = int(datetime.fromisoformat(point["date"]).timestamp() * 1000)
            point_end = at + width if width else bucket_end(Grain.hour, at, zone)
            assert (point["visitors"], point["visits"], point["pageviews"]) == \
                expected_metrics(site.events, at, point_end)[:3], (moment, interval, point["date"])
    pages = get(site, "breakdown", property="page", limit="100", **days)["results"]
    expected = {value: e.pageviews for (inside, value), e in
                expected_by(site.events, lambda ts: start <= ts < end, "page").items() if inside}
    assert {r["value"]: r["pageviews"] for r in pages} == expected, moment


def test_a_bucket_of_the_same_start_and_another_length_is_never_reused(aws):
    site = Platform(aws, "org-lord-howe", KOLKATA)
    site.org = "org-lord-howe"
    assert bucket_end(Grain.hour, LORD_HOWE_DST, KOLKATA) - LORD_HOWE_DST == HOUR_MS
    assert bucket_end(Grain.hour, LORD_HOWE_DST, LORD_HOWE) - LORD_HOWE_DST == HOUR_MS // 2
    site.store(cluster("k", LORD_HOWE_DST + 50 * MINUTE_MS, people=3), KOLKATA)
    site.seal()  # Kolkata's 60-minute hour at 15:30 UTC is stored, with its minutes
    site.change_zone(LORD_HOWE)
    assert_exact(site, LORD_HOWE, "right after the change")

    # A mark claiming Lord Howe's 30-minute hour is sealed and current, over Kolkata's 60-minute rollup
    mark = site.marks.get(site.site_id, Grain.hour, LORD_HOWE_DST)
    assert mark is not None and mark.version == mark.sealed
    site.client.update_item(TableName=site.marks.table_name,
                            Key={"pk": {"S": f"mark#{site.site_id}"}, "sk": {"S": f"h#{LORD_HOWE_DST:013d}"}},
                            UpdateExpression="SET tz = :z", ExpressionAttributeValues={":z": {"S": LORD_HOWE}})
    assert_exact(site, LORD_HOWE, "a current mark over a rollup of another extent")

    while site.rebucketing():
        site.job.run(deadline=lambda: False)
    site.seal(FAR)
    assert_exact(site, LORD_HOWE, "re-bucketed and sealed")
    site.assert_counted("re-bucketed and sealed")
