"""Goals through the stats API equal a brute force over the imported lines: unique conversions,
total conversions and conversion rate = unique converters / visitors of the period; never `pageview`
or `engagement`. Imported lines' optional `country` is counted as given. Lines go through the real
import handler; the query reads them (raw and marked)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tally.web.query.settings import stats_settings
from tests.integration.web.ingest.conftest import site, web_env  # noqa: F401 - fixtures
from tests.integration.web.ingest.test_import_handler import send
from tests.integration.web.query.test_stats_equal_the_oracle import get

NOW = datetime.now(UTC).replace(microsecond=0)


def traffic(seed: int) -> list[dict]:
    rng = random.Random(seed)
    lines = []
    for i in range(120):
        visitor = f"person-{rng.randrange(40)}"
        at = NOW - timedelta(hours=3, minutes=rng.randrange(120))
        name = rng.choice(["pageview"] * 5 + ["Signup", "Download", "engagement"])
        line = {"id": f"g{seed}-{i}", "timestamp": at.isoformat(), "name": name, "visitor": visitor,
                "url": f"https://goals.example/{rng.choice(['', 'pricing', 'docs'])}",
                "country": ["de", "US", "FR"][int(visitor.split("-")[1]) % 3]}  # the import's optional country
        if name == "Signup":
            line["props"] = {"plan": rng.choice(["free", "pro"])}
            if rng.random() < 0.5:
                line["props"]["seats"] = rng.choice(["1", "5"])
        elif name == "Download":
            line["props"] = {"file": rng.choice(["a.pdf", "b.zip"])}
        elif name == "pageview" and rng.random() < 0.2:
            line["props"] = {"author": "ann"}  # a pageview's props: in no goal's breakdown
        lines.append(line)
    return lines


def test_each_goals_conversion_rate_equals_a_brute_force_count(web_env, site):  # noqa: F811
    stats_settings.cache_clear()
    s = site("goals.example", org="org-goals")
    lines = traffic(seed=3)
    status, body = send(s.site_id, lines, org="org-goals")
    assert (status, body["accepted"]) == (202, len(lines))

    status, answer = get(f"/api/v1/sites/{s.site_id}/stats/breakdown", "org-goals", period="day",
                         date=NOW.date().isoformat(), property="goal")
    assert status == 200, answer

    day = [line for line in lines if line["timestamp"][:10] == NOW.date().isoformat()]
    visitors = {line["visitor"] for line in day}
    expected = {}
    for name in {line["name"] for line in day} - {"pageview", "engagement"}:
        converters = {line["visitor"] for line in day if line["name"] == name}
        expected[name] = {"visitors": len(converters), "events": sum(1 for line in day if line["name"] == name),
                          "conversion_rate": round(len(converters) / len(visitors) * 100, 2)}
    got = {row["value"]: {k: row[k] for k in ("visitors", "events", "conversion_rate")} for row in answer["results"]}
    assert got == expected
    assert set(got) == {"Signup", "Download"}

    status, plans = get(f"/api/v1/sites/{s.site_id}/stats/breakdown", "org-goals", period="day",
                        date=NOW.date().isoformat(), property="event:props:plan")
    signups = [line for line in day if line["name"] == "Signup"]
    assert {row["value"]: row["events"] for row in plans["results"]} == {
        plan: sum(1 for line in signups if line["props"]["plan"] == plan) for plan in {"free", "pro"}
        if any(line["props"]["plan"] == plan for line in signups)}

    status, countries = get(f"/api/v1/sites/{s.site_id}/stats/breakdown", "org-goals", period="day",
                            date=NOW.date().isoformat(), property="country")
    by_country: dict[str, set[str]] = {}
    for line in day:
        by_country.setdefault(line["country"].upper(), set()).add(line["visitor"])
    assert {row["value"]: row["visitors"] for row in countries["results"]} == {
        country: len(people) for country, people in by_country.items()}


def test_a_goals_own_properties_equal_a_brute_force_count(web_env, site):  # noqa: F811
    """What a click on a goal shows: its prop keys (`event:props` filtered by the goal), then each key's
    values, with unique conversions, total conversions and conversion rate — that goal's events only."""
    stats_settings.cache_clear()
    s = site("goalprops.example", org="org-goalprops")
    lines = traffic(seed=5)
    status, body = send(s.site_id, lines, org="org-goalprops")
    assert (status, body["accepted"]) == (202, len(lines))
    day = [line for line in lines if line["timestamp"][:10] == NOW.date().isoformat()]
    visitors = len({line["visitor"] for line in day})

    def ask(prop: str, goal: str) -> list[dict]:
        status, answer = get(f"/api/v1/sites/{s.site_id}/stats/breakdown", "org-goalprops", period="day",
                             date=NOW.date().isoformat(), property=prop, filters=f"event:goal=={goal}")
        assert status == 200, answer
        assert answer["goal"] == goal
        return [{k: row[k] for k in ("value", "visitors", "events", "conversion_rate")} for row in answer["results"]]

    def expected(goal: str, key: str | None) -> list[dict]:
        groups: dict[str, list[dict]] = {}
        for line in day:
            if line["name"] == goal:
                for prop_key, prop_value in line.get("props", {}).items():
                    if key is None or prop_key == key:
                        groups.setdefault(prop_key if key is None else prop_value, []).append(line)
        rows = [{"value": value, "visitors": len({line["visitor"] for line in group}), "events": len(group),
                 "conversion_rate": round(len({line["visitor"] for line in group}) / visitors * 100, 2)}
                for value, group in groups.items()]
        return sorted(rows, key=lambda r: (-r["visitors"], -r["events"], r["value"]))

    assert [row["value"] for row in ask("event:props", "Signup")] == [
        row["value"] for row in expected("Signup", None)]
    assert ask("event:props", "Signup") == expected("Signup", None)
    assert {row["value"] for row in expected("Signup", None)} == {"plan", "seats"}
    assert ask("event:props", "Download") == expected("Download", None)
    for goal, key in (("Signup", "plan"), ("Signup", "seats"), ("Download", "file"), ("Download", "plan")):
        assert ask(f"event:props:{key}", goal) == expected(goal, key)
    assert ask("event:props", "Nope") == []

    # the unfiltered key still mixes every event's props, pageviews' too
    status, authors = get(f"/api/v1/sites/{s.site_id}/stats/breakdown", "org-goalprops", period="day",
                          date=NOW.date().isoformat(), property="event:props:author")
    assert [row["value"] for row in authors["results"]] == ["ann"]
    assert ask("event:props:author", "Signup") == []

    for prop, filters in (("page", "event:goal==Signup"), ("event:props", "page==/"),
                          ("event:props:plan", "event:goal==pageview"), ("event:props", None)):
        status, error = get(f"/api/v1/sites/{s.site_id}/stats/breakdown", "org-goalprops", period="day",
                            date=NOW.date().isoformat(), property=prop,
                            **({"filters": filters} if filters else {}))
        assert status == 422, (prop, filters, error)
