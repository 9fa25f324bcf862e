"""Where a visit came from: the source (`Google`, `Twitter`, `news.example.com`, `Direct / None`) and UTM tags.

Plausible's rules, in order:

1. A tag in the page URL wins: `utm_source`, else `source`, else `ref`. A tag naming a known source
   in any case (`google`, `GOOGLE`) or a common shorthand (`fb`, `ig`) becomes its clean name.
2. Else an external referrer: a known one becomes its clean name (`https://t.co/x` → `Twitter`,
   `android-app://com.google.android.gm` → `Gmail`); an unknown one is its host without `www.`
   (`android-app://` kept for apps).
3. Else — no referrer, a referrer from the site itself (self-referral), `localhost`, or a referrer
   that is not an http(s)/android-app URL — `Direct / None`.

`referrer_host` is the external referrer's host as in step 2, kept also when a tag named the
source (None for direct traffic). `medium` is the category the referrer database gives a known
referrer that became the source (`search`, `social`, `email`, `paid`, `referral`), else None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import SplitResult, parse_qsl, urlsplit

from tally.web.enrich.pages import normalize_host
from tally.web.enrich.referrers import ReferrerDatabase, referrer_database

DIRECT = "Direct / None"
MAX_VALUE = 2000
_REFERRER_SCHEMES = frozenset({"http", "https", "android-app"})
_TAG_PARAMETERS = ("utm_source", "source", "ref")
_UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


@dataclass(frozen=True, slots=True)
class Source:
    source: str
    medium: str | None = None
    referrer_host: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None

    @property
    def is_direct(self) -> bool:
        return self.source == DIRECT


def source_from(
    referrer: str | None,
    page_url: str,
    own_domain: str | None = None,
    *,
    database: ReferrerDatabase | None = None,
) -> Source:
    """Classify one event's acquisition from its referrer and its page URL's query."""
    db = database or referrer_database()
    page = _split(page_url)
    params = _query_parameters(page)
    utm = {name: params.get(name) for name in _UTM}

    external = _external_referrer(referrer, page, own_domain)
    referrer_host = external.display if external else None

    tag = next((params[name] for name in _TAG_PARAMETERS if params.get(name)), None)
    if tag is not None:
        return Source(source=db.canonical_name(tag) or tag, referrer_host=referrer_host, **utm)
    if external is None:
        return Source(source=DIRECT, **utm)
    known = db.lookup(external.host, external.path)
    if known is None:
        return Source(source=external.display, referrer_host=referrer_host, **utm)
    return Source(source=known.name, medium=known.medium, referrer_host=referrer_host, **utm)


def _split(url: str | None) -> SplitResult | None:
    if not url:
        return None
    try:
        return urlsplit(url.strip())
    except ValueError:
        return None


def _query_parameters(page: SplitResult | None) -> dict[str, str]:
    """First non-blank value of each parameter, trimmed and capped; parameter names are case-sensitive."""
    if page is None or not page.query:
        return {}
    found: dict[str, str] = {}
    for name, value in parse_qsl(page.query, keep_blank_values=False):
        value = value.strip()
        if value and name not in found and (name in _TAG_PARAMETERS or name in _UTM):
            found[name] = value[:MAX_VALUE]
    return found


class _Referrer(NamedTuple):
    host: str  # lower-case, as sent (the database has a few `www.` entries)
    path: str
    display: str  # without `www.`; `android-app://` kept for apps


def _external_referrer(referrer: str | None, page: SplitResult | None, own_domain: str | None) -> _Referrer | None:
    """The referrer when it is another site's http(s) or app URL, else None (direct traffic)."""
    parts = _split(referrer)
    if parts is None:
        return None
    scheme = parts.scheme.lower()
    raw_host = (parts.hostname or "").rstrip(".")
    host = normalize_host(raw_host)
    if scheme not in _REFERRER_SCHEMES or not host or host == "localhost":
        return None
    own = {normalize_host(own_domain or ""), normalize_host(page.hostname or "") if page is not None else ""}
    if host in own:
        return None
    return _Referrer(raw_host, parts.path, f"android-app://{host}" if scheme == "android-app" else host)
