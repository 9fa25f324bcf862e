"""Bot filter: recall on public bot corpora, false positives on public browser corpora, and its cost.

Corpora (all from installed packages, so CI needs no network):
- crawler-user-agents' `instances` (runtime dependency `crawler-user-agents`): real bot UAs;
- Matomo device-detector's `tests/fixtures/upstream/bots.yml` (dev dependency `device-detector`):
  real bot UAs;
- Matomo's device fixtures (desktop, smartphone, tablet, TV, console, car, wearable, …) whose client
  Matomo classifies as a browser (not a bot, app, library, feed reader or media player): real
  browser UAs. The other clients of those fixtures (apps' HTTP stacks, podcast players, feed
  readers, HTTP libraries) are reported apart, without a budget: they are not browsers, and
  dropping a podcast player's feed request from web analytics is no loss.

The lists were written against their own instances, so recall on a list's own corpus flatters it;
the `held_out` figures measure each bot corpus with its own list switched off — what the other
lists and the no-browser rule catch — as an estimate of recall on bots no list names yet.
Cost: CPU per new UA as a ratio to parsing the same UA with ua-parser (the enrichment's other
per-UA cost), measured in the same run; the one-off cost of loading the lists in ms.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tally.web.enrich import bot_lists, bots, no_browser, user_agents

RECALL_BUDGET = 99.0
FALSE_POSITIVE_BUDGET = 1.0


def _yaml(path: Path) -> Any:
    try:
        import yaml_rs  # device-detector's own (fast) loader

        return yaml_rs.loads(path.read_text(encoding="utf-8"))
    except ImportError:
        import yaml

        return yaml.load(path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def crawler_user_agents_instances() -> list[str]:
    from crawleruseragents import CRAWLER_USER_AGENTS_DATA

    return sorted({i for entry in CRAWLER_USER_AGENTS_DATA for i in entry.get("instances", [])})


def matomo_fixtures() -> Path:
    import device_detector

    return Path(device_detector.__file__).parent / "tests" / "fixtures" / "upstream"


def matomo_bots() -> list[str]:
    return sorted({e["user_agent"] for e in _yaml(matomo_fixtures() / "bots.yml")})


def matomo_clients() -> dict[str, set[str]]:
    """Non-bot UAs of Matomo's device fixtures by client type (`browser`, `mobile app`, …)."""
    out: dict[str, set[str]] = {}
    for path in sorted(matomo_fixtures().glob("*.yml")):
        if path.name == "bots.yml":
            continue
        for entry in _yaml(path) or []:
            ua = entry.get("user_agent") or ""
            if "bot" in entry or not ua.strip():  # an empty UA is no browser's; Tally drops it by design
                continue
            out.setdefault((entry.get("client") or {}).get("type") or "unknown", set()).add(ua)
    return out


def _share(uas: Iterable[str], dropped: Callable[[str], bool]) -> float:
    items = list(uas)
    return 100 * sum(1 for ua in items if dropped(ua)) / len(items)


def _without(skip: str) -> Callable[[str], bool]:
    """The filter with one list switched off (for held-out recall)."""
    return lambda ua: bots.dropped_by(ua, skip=skip) is not None


def _cost(uas: list[str]) -> tuple[float, float, float]:
    """(ms to load the lists, ms CPU per new UA for is_bot, the same for ua-parser)."""
    bots._is_bot_user_agent.cache_clear()
    for cached in (bot_lists._crawlerdetect, bot_lists._crawler_user_agents, bot_lists._matomo, bots._automation,
                   bots._contact, no_browser._browser_or_platform):
        cached.cache_clear()
    first, *rest = uas  # a browser's UA: it goes through every list
    started = time.process_time()
    bots.is_bot(first)
    load_ms = (time.process_time() - started) * 1000
    user_agents.parse_user_agent(first)
    uas = rest
    started = time.process_time()
    for ua in uas:
        bots.is_bot(ua)
    check_ms = (time.process_time() - started) * 1000 / len(uas)
    user_agents._parse_cached.cache_clear()
    started = time.process_time()
    for ua in uas:
        user_agents.parse_user_agent(ua)
    parse_ms = (time.process_time() - started) * 1000 / len(uas)
    return load_ms, check_ms, parse_ms


def run() -> list[dict[str, Any]]:
    cua, matomo = crawler_user_agents_instances(), matomo_bots()
    clients = matomo_clients()
    browsers = sorted(clients.pop("browser"))
    others = sorted(set().union(*clients.values()))
    load_ms, check_ms, parse_ms = _cost(browsers[::10] + cua[::10])
    is_bot = bots.is_bot

    figures: list[dict[str, Any]] = []
    for name, corpus in (("crawler_user_agents_instances", cua), ("matomo_bot_fixtures", matomo)):
        recall = _share(corpus, is_bot)
        figures.append({"name": f"bots.recall.{name}", "value": round(recall, 2), "unit": "% dropped",
                        "budget": f">= {RECALL_BUDGET:g}", "ok": recall >= RECALL_BUDGET, "user_agents": len(corpus)})
    fp = _share(browsers, is_bot)
    figures.append({"name": "bots.false_positives.matomo_browser_fixtures", "value": round(fp, 3),
                    "unit": "% dropped", "budget": f"<= {FALSE_POSITIVE_BUDGET:g}", "ok": fp <= FALSE_POSITIVE_BUDGET,
                    "user_agents": len(browsers)})
    for name, corpus, skip in (("crawler_user_agents_instances", cua, "crawler_user_agents"),
                               ("matomo_bot_fixtures", matomo, "matomo")):
        held_out = _share(corpus, _without(skip))
        figures.append({"name": f"bots.recall_held_out.{name}", "value": round(held_out, 2), "unit": "% dropped",
                        "budget": "", "ok": None, "without": f"the {skip} list"})
    figures.append({"name": "bots.dropped.matomo_non_browser_clients", "value": round(_share(others, is_bot), 1),
                    "unit": "% dropped", "budget": "", "ok": None, "user_agents": len(others),
                    "clients": json.dumps({k: len(v) for k, v in sorted(clients.items())})})
    figures.append({"name": "bots.cpu_per_new_user_agent", "value": round(check_ms / parse_ms, 3),
                    "unit": "x a ua-parser parse", "budget": "", "ok": None, "ms": round(check_ms, 4),
                    "baseline": "ua-parser parse of the same new UAs, same run"})
    figures.append({"name": "bots.cpu_loading_the_lists", "value": round(load_ms, 1), "unit": "ms CPU",
                    "budget": "", "ok": None})
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure)
