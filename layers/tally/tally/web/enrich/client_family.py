"""A caller's client as the usage tab shows it: browser and OS family (`Firefox / GNU/Linux`), never the
raw User-Agent and never a version."""

from __future__ import annotations

from tally.web.enrich.user_agents import parse_user_agent


def client_family(user_agent: str | None) -> str | None:
    client = parse_user_agent(user_agent)
    parts = [part for part in (client.browser, client.os) if part and part != "Other"]
    return " / ".join(parts) or None
