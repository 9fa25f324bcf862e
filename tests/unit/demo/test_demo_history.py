"""The demo's imported history: the site's last N local days, today until half an hour ago, the same line
under the same id whatever the moment of the import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tally_dev.demo_traffic import HISTORY_LAG, SITES, history

MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))


def local_day(line: dict, zone: str):
    return datetime.fromisoformat(line["timestamp"]).astimezone(ZoneInfo(zone)).date()


@settings(max_examples=25, deadline=None)
@given(now=MOMENTS, days=st.integers(1, 3), site=st.sampled_from(SITES))
def test_lines_fall_in_the_sites_last_local_days_and_before_now(now, days, site):
    lines = list(history(site, days=days, now=now))
    today = now.astimezone(ZoneInfo(site.timezone)).date()
    assert all(datetime.fromisoformat(x["timestamp"]) < now - HISTORY_LAG for x in lines)  # realtime is live
    assert {local_day(x, site.timezone) for x in lines} <= {today - timedelta(days=d) for d in range(days)}
    assert len({x["id"] for x in lines}) == len(lines)


@settings(max_examples=25, deadline=None)
@given(now=MOMENTS, later_s=st.integers(1, 6 * 3600), site=st.sampled_from(SITES))
def test_a_later_import_adds_only_newer_lines_under_new_ids(now, later_s, site):
    later = now + timedelta(seconds=later_s)
    if later.astimezone(ZoneInfo(site.timezone)).date() != now.astimezone(ZoneInfo(site.timezone)).date():
        later = now  # same local day: the window of days is the same
    early = list(history(site, days=2, now=now))
    late = list(history(site, days=2, now=later))
    assert early == [x for x in late if datetime.fromisoformat(x["timestamp"]) < now - HISTORY_LAG]


def test_thirty_days_at_evening_cover_every_day_of_the_dashboards_last_30_days_today_partly():
    site = SITES[0]
    zone = ZoneInfo(site.timezone)
    now = datetime(2026, 11, 20, 18, 0, tzinfo=zone).astimezone(UTC)
    lines = list(history(site, days=30, now=now))
    days = {local_day(x, site.timezone) for x in lines}
    assert days == {now.astimezone(zone).date() - timedelta(days=d) for d in range(30)}
    per_day = {d: sum(1 for x in lines if local_day(x, site.timezone) == d and x["name"] == "pageview") for d in days}
    today, yesterday = now.astimezone(zone).date(), now.astimezone(zone).date() - timedelta(days=1)
    assert 0 < per_day[today] < per_day[yesterday]  # a partial day, not an empty one


def test_a_dst_change_in_the_window_keeps_every_local_day():
    site = SITES[0]  # Europe/Berlin: clocks went back on 25 Oct 2026
    now = datetime(2026, 10, 27, 12, 0, tzinfo=UTC)
    days = {local_day(x, site.timezone) for x in history(site, days=5, now=now)}
    assert days == {now.date() - timedelta(days=d) for d in range(5)}
