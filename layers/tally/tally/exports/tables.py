"""The CSV files of an export, in Plausible's export format (`Plausible.Exports`): one file per
table, named `imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv`, one row per day and value, so a
Plausible instance imports them as they are.

Every figure comes from the stats API's own computation (`tally.web.query.service.range_counts` and
`breakdown_counts`), one day at a time: a row of day D equals the stats API's answer for
`period=day&date=D`. Plausible's files hold counts where the API shows rates: `bounces` (bounced
visits) and `visit_duration` (the visits' total length in whole seconds). Tally counts pageviews
per page and per event, not per visit property, and visits per visit property, not per page, so
those columns are 0; Plausible's sources file crosses source, referrer and UTM tags, which Tally
keeps apart, so it carries the sources and `tally_referrers`, `tally_utm_*` the other tags.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from tally.web.aggregate.rollup import Stats

Row = list[Any]


def _seconds(stats: Stats) -> int:
    return round(stats.duration_ms / 1000)


def _visit_columns(stats: Stats) -> Row:
    return [stats.visitors.estimate(), stats.visits, _seconds(stats), stats.bounces]


@dataclass(frozen=True)
class Table:
    """One CSV file: its name, its header, the breakdown property it lists (None: the day's totals)
    and how a value and its counts become the columns after `date`."""

    name: str
    columns: tuple[str, ...]
    prop: str | None
    row: Callable[[str, Stats, str], Row]
    keep: Callable[[str], bool] = lambda value: True

    def file_name(self, first: date, last: date) -> str:
        return f"{self.name}_{first:%Y%m%d}_{last:%Y%m%d}.csv"


def _visits_by(value: str, s: Stats, _domain: str) -> Row:
    return [value, s.visitors.estimate(), s.visits, _seconds(s), s.bounces, 0]


def _tally_by(value: str, s: Stats, _domain: str) -> Row:
    return [value, *_visit_columns(s)]


VISIT_METRICS = ("visitors", "visits", "visit_duration", "bounces", "pageviews")

TABLES: tuple[Table, ...] = (
    Table("imported_visitors", ("date", "visitors", "pageviews", "bounces", "visits", "visit_duration"), None,
          lambda _v, s, _d: [s.visitors.estimate(), s.pageviews, s.bounces, s.visits, _seconds(s)]),
    Table("imported_sources", ("date", "source", "referrer", "utm_source", "utm_medium", "utm_campaign",
                               "utm_content", "utm_term", "pageviews", "visitors", "visits", "visit_duration",
                               "bounces"), "source",
          lambda v, s, _d: [v, "", "", "", "", "", "", 0, s.visitors.estimate(), s.visits, _seconds(s), s.bounces]),
    Table("imported_pages", ("date", "hostname", "page", "visits", "visitors", "pageviews"), "page",
          lambda v, s, domain: [domain, v, 0, s.visitors.estimate(), s.pageviews]),
    Table("imported_entry_pages", ("date", "entry_page", "visitors", "entrances", "visit_duration", "bounces",
                                   "pageviews"), "entry_page",
          lambda v, s, _d: [v, s.visitors.estimate(), s.visits, _seconds(s), s.bounces, 0]),
    Table("imported_exit_pages", ("date", "exit_page", "visitors", "visit_duration", "exits", "bounces",
                                  "pageviews"), "exit_page",
          lambda v, s, _d: [v, s.visitors.estimate(), _seconds(s), s.visits, s.bounces, 0]),
    Table("imported_custom_events", ("date", "name", "link_url", "path", "visitors", "events"), "event:name",
          lambda v, s, _d: [v, "", "", s.visitors.estimate(), s.events], keep=lambda value: value != "pageview"),
    Table("imported_locations", ("date", "country", "region", "city", *VISIT_METRICS), "country",
          lambda v, s, _d: [v, "", 0, *_visits_by(v, s, _d)[1:]]),
    Table("imported_devices", ("date", "device", *VISIT_METRICS), "device", _visits_by),
    Table("imported_browsers", ("date", "browser", "browser_version", *VISIT_METRICS), "browser",
          lambda v, s, _d: [v, "", *_visits_by(v, s, _d)[1:]]),
    Table("imported_operating_systems", ("date", "operating_system", "operating_system_version", *VISIT_METRICS),
          "os", lambda v, s, _d: [v, "", *_visits_by(v, s, _d)[1:]]),
    Table("tally_referrers", ("date", "referrer", "visitors", "visits", "visit_duration", "bounces"), "referrer",
          _tally_by),
    Table("tally_utm_sources", ("date", "utm_source", "visitors", "visits", "visit_duration", "bounces"),
          "utm_source", _tally_by),
    Table("tally_utm_mediums", ("date", "utm_medium", "visitors", "visits", "visit_duration", "bounces"),
          "utm_medium", _tally_by),
    Table("tally_utm_campaigns", ("date", "utm_campaign", "visitors", "visits", "visit_duration", "bounces"),
          "utm_campaign", _tally_by),
)


def _order(item: tuple[str, Stats]) -> tuple[int, int, str]:
    value, stats = item
    return (-stats.visitors.estimate(), -(stats.pageviews or stats.events or stats.visits), value)


def day_rows(day: date, domain: str, totals: Stats, breakdowns: dict[str, dict[str, Stats]]) -> dict[str, list[Row]]:
    """Each table's rows for one day (no rows on a day without events), most visitors first."""
    if not totals.events and not totals.visits:
        return {table.name: [] for table in TABLES}
    rows: dict[str, list[Row]] = {}
    for table in TABLES:
        if table.prop is None:
            rows[table.name] = [[day.isoformat(), *table.row("", totals, domain)]]
            continue
        values = sorted(breakdowns.get(table.prop, {}).items(), key=_order)
        rows[table.name] = [[day.isoformat(), *table.row(value, stats, domain)]
                            for value, stats in values if table.keep(value)]
    return rows


def csv_text(table: Table, rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(rows)
    return out.getvalue()


def breakdown_properties() -> list[str]:
    """The stats breakdown properties the tables list, each once."""
    return list(dict.fromkeys(table.prop for table in TABLES if table.prop is not None))
