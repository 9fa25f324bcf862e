"""Known referrers: host (and path prefix) → clean source name and medium.

The list is Ghost's maintained referrer database (`data/referrers.json`, see `data/README.md`),
loaded once per container on first use. Tally adds, as Plausible does with its own custom sources,
a few hosts the list lacks and the `utm_source` shorthands people actually type (`fb`, `ig`, …).
A host is matched as given, then with its leading labels dropped one at a time
(`l.facebook.com` → `facebook.com`), so every subdomain of a known referrer is known.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

#: Hosts the database lacks, mapped by Tally (name, medium).
EXTRA_HOSTS: dict[str, tuple[str, str]] = {
    "chatgpt.com": ("ChatGPT", "referral"),
    "chat.openai.com": ("ChatGPT", "referral"),
    "perplexity.ai": ("Perplexity", "search"),
    "claude.ai": ("Claude", "referral"),
    "gemini.google.com": ("Gemini", "referral"),
    "copilot.microsoft.com": ("Microsoft Copilot", "referral"),
    "baidu.com": ("Baidu", "search"),
    "sogou.com": ("Sogou", "search"),
    "ntp.msn.com": ("Bing", "search"),
    "discord.com": ("Discord", "social"),
    "discordapp.com": ("Discord", "social"),
    "t.me": ("Telegram", "social"),
    "web.telegram.org": ("Telegram", "social"),
    "linktr.ee": ("Linktree", "social"),
    "wikipedia.org": ("Wikipedia", "referral"),
    "statics.teams.cdn.office.net": ("Microsoft Teams", "social"),
    "teams.microsoft.com": ("Microsoft Teams", "social"),
    "producthunt.com": ("Product Hunt", "social"),
    "lobste.rs": ("Lobsters", "social"),
    "tiktok.com": ("TikTok", "social"),
}

#: Lower-cased tags (`utm_source`, `source`, `ref` values) that mean a known source.
TAG_ALIASES: dict[str, str] = {
    "fb": "Facebook", "fb-ads": "Facebook", "fbads": "Facebook", "facebook-ads": "Facebook",
    "facebook_ads": "Facebook", "ig": "Instagram", "insta": "Instagram",
    "yt": "Youtube", "youtube-ads": "Youtube", "tw": "Twitter", "twitter-ads": "Twitter",
    "li": "LinkedIn", "linkedin-ads": "LinkedIn", "reddit-ads": "Reddit",
    "adwords": "Google", "google-ads": "Google", "google_ads": "Google", "googleads": "Google", "gads": "Google",
    "bing-ads": "Bing", "bingads": "Bing", "hn": "Hacker News", "tiktok-ads": "TikTok", "tiktokads": "TikTok",
    "chatgpt.com": "ChatGPT", "perplexity": "Perplexity",
}


@dataclass(frozen=True, slots=True)
class KnownReferrer:
    name: str
    medium: str | None


class ReferrerDatabase:
    """Lookups over one loaded database; immutable after construction."""

    def __init__(self, entries: dict[str, KnownReferrer]) -> None:
        self._entries = entries
        self._names = {entry.name.lower(): entry.name for entry in entries.values()}
        self._names.update((alias, name) for alias, name in TAG_ALIASES.items())

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ReferrerDatabase:
        entries: dict[str, KnownReferrer] = {}
        for key, value in document.items():
            medium = value.get("medium")
            known = KnownReferrer(str(value["source"]), None if medium in (None, "unknown") else str(medium))
            entries[key.lower().rstrip("/")] = known
        for host, (name, medium) in EXTRA_HOSTS.items():
            entries.setdefault(host, KnownReferrer(name, medium))
        return cls(entries)

    def lookup(self, host: str, path: str = "") -> KnownReferrer | None:
        """The known referrer for a lower-case host (and the referrer's path), or None."""
        labels = host.split(".")
        candidates = [".".join(labels[start:]) for start in range(max(len(labels) - 1, 1))]
        for prefix in _path_prefixes(path):  # a path-specific entry (Google Images) beats its host's
            for candidate in candidates:
                if (found := self._entries.get(candidate + prefix)) is not None:
                    return found
        for candidate in candidates:
            if (found := self._entries.get(candidate)) is not None:
                return found
        return None

    def canonical_name(self, tag: str) -> str | None:
        """The clean name a tag stands for (`google`, `GOOGLE`, `ig`, `news.ycombinator.com`), or None."""
        lowered = tag.strip().lower()
        if (name := self._names.get(lowered)) is not None:
            return name
        host = lowered[4:] if lowered.startswith("www.") else lowered
        if "." in host and (found := self._entries.get(host)) is not None:
            return found.name
        return None


def _path_prefixes(path: str) -> list[str]:
    """`/images/search/x` → [`/images/search/x`, `/images/search`, `/images`] (longest first)."""
    segments = [s for s in path.split("/") if s][:3]
    return ["/" + "/".join(segments[:n]) for n in range(len(segments), 0, -1)]


@cache
def referrer_database() -> ReferrerDatabase:
    """The bundled database, parsed once per container."""
    text = resources.files("tally.web.enrich").joinpath("data/referrers.json").read_text(encoding="utf-8")
    return ReferrerDatabase.from_json(json.loads(text))
