"""`tally dev` seals the imported demo month in bulk (`tally_dev.demo_seal`): the stats must answer
exactly as after the scheduled sealer, and what the bulk seal may not seal yet stays due for it.

The traffic, the brute force and the checks are those of the imported-traffic test (ten days across
a DST change in America/Santiago, a cut at 16:00 on the tenth day): there the Sealer seals, here the bulk seal.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3

from tally.sites.model import SiteCreate
from tally.sites.service import create_site
from tally.sites.wiring import site_store
from tally.totals.store import DynamoTotals
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain
from tally_dev.demo_seal import seal_history
from tests.integration.web.query.test_imported_traffic_equals_brute_force import (
    CUT,
    DOMAIN,
    LAST,
    ORG,
    TZ,
    Brute,
    Pipeline,
    assert_stats_equal_brute_force,
    env,  # noqa: F401 - the fixture
    import_lines,
    late_lines,
    traffic,
)


def test_the_bulk_seal_answers_as_the_sealer_does_and_leaves_the_rest_due(env):  # noqa: F811 - the fixture
    site = create_site(site_store(), ORG, SiteCreate(domain=DOMAIN, timezone=TZ, retention_days=3650)).site_id
    lines = traffic(seed=2026)
    import_lines(site, lines)
    pipeline = Pipeline(env, site)
    pipeline.mark()
    before = DynamoTotals(env["PublicStatsTable"], boto3.client("dynamodb")).read().pageviews

    sealed = seal_history(env, now_ms=CUT)

    assert sealed.hours and sealed.days >= 9 and sealed.spans  # (a marked hour before the first day: its day too)
    days = pipeline.day_marks()
    assert all(current for day, current in days.items() if day < LAST) and not days.get(LAST)
    brute = Brute(lines)
    assert_stats_equal_brute_force(site, brute)
    hours = RollupStore(env["RollupsTable"]).read_totals(site, Grain.hour, 0, 10**13 - 1)
    added = DynamoTotals(env["PublicStatsTable"], boto3.client("dynamodb")).read().pageviews - before
    assert added == sum(hour.totals.pageviews for hour in hours) > 0  # each sealed hour counted once

    marks = DirtyMarks(env["RollupsTable"])
    assert sealed.left == len(marks.due(Grain.hour, CUT, 10_000)) + len(marks.due(Grain.day, CUT, 10_000))
    report = pipeline.seal(CUT)  # the scheduled sealer: nothing the bulk seal could seal is left
    assert (report.sealed, report.days, report.unchanged) == (0, 0, 0)

    late = late_lines(len(lines))  # later changes go the usual way: marked, resealed by the Sealer
    import_lines(site, late)
    pipeline.mark()
    now = int(datetime.now(UTC).timestamp() * 1000)
    for run in range(4):  # a day waits for its hours (postponed by minutes)
        pipeline.seal(now + run * 10 * 60_000)
    assert all(pipeline.day_marks().values())
    assert_stats_equal_brute_force(site, Brute([*lines, *late]), breakdowns=False)
