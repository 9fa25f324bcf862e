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
