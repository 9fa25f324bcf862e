"""Importing historic events: NDJSON lines, each validated on its own; good lines kept, bad ones reported.

A line is `{"id", "timestamp", "name", "url", "referrer", "props", "visitor"}` (or `ip` and
`user_agent` instead of `visitor`). `visitor` is an opaque, stable id, stored only as a keyed hash
(the site's secret), so imported visitors stay distinct across days; `ip` + `user_agent` are
hashed per day, like live traffic. A re-sent line (same id and timestamp) lands on the same key.
The hours the events touch are marked before the import is acknowledged (see `Importer.run`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tally.platform.errors import InvalidInput, MalformedRequest, PayloadTooLarge
from tally.sites.model import Site
from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.marking import Aggregator, Change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.enrich.bots import is_bot
from tally.web.enrich.pages import normalize_page
from tally.web.enrich.sources import source_from
from tally.web.enrich.user_agents import parse_user_agent
from tally.web.ingest.payload import MAX_ID, MAX_NAME, MAX_URL, parse_props
from tally.web.ingest.site_secrets import SiteSecrets

MAX_LINES = 10_000
MAX_BYTES = 5 * 1024 * 1024
MAX_REPORTED_ERRORS = 200
FUTURE_SLACK_MS = 5 * 60_000


class ImportLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=MAX_ID)
    timestamp: datetime
    name: str = Field(min_length=1, max_length=MAX_NAME)
    url: str = Field(min_length=1, max_length=MAX_URL)
    referrer: str | None = Field(default=None, max_length=MAX_URL)
    props: Any = None
    visitor: str | None = Field(default=None, min_length=1, max_length=256)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=2000)
    #: ISO 3166-1 alpha-2, as the tool the history comes from recorded it (no address is looked up)
    country: str | None = Field(default=None, pattern="^[A-Za-z]{2}$")
    interactive: bool = True

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class ImportReport:
    accepted: int = 0
    dropped_bots: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "reason": reason})


def check_size(body: bytes) -> list[bytes]:
    if len(body) > MAX_BYTES:
        raise PayloadTooLarge(f"an import is at most {MAX_BYTES} bytes; this one is {len(body)}")
    lines = body.splitlines()
    if len(lines) > MAX_LINES:
        raise PayloadTooLarge(f"an import is at most {MAX_LINES} lines; this one has {len(lines)}")
    return lines


def check_is_ndjson(lines: list[bytes]) -> None:
    """400 when no line is even shaped like a JSON object: the body is not NDJSON events at all.

    Bad lines among event-shaped ones are reported one by one instead (the import answers 202).
    """
    if not any(line.lstrip().startswith(b"{") for line in lines):
        raise MalformedRequest("the body is not NDJSON: no line is a JSON object",
                               details=[{"field": "body", "rule": "one JSON object per line", "type": "ndjson"}])


def _keyed(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode(), hashlib.blake2b).hexdigest()[:32]


class Importer:
    def __init__(self, raw: RawEventStore, secrets: SiteSecrets, marks: DirtyMarks) -> None:
        self.raw = raw
        self.secrets = secrets
        self.marks = marks

    def run(self, site: Site, body: bytes, now_ms: int) -> ImportReport:
        report = ImportReport()
        secret = self.secrets.secret(site.site_id)
        oldest_ms = now_ms - site.retention_days * 86_400_000
        events: list[tuple[RawEvent, int]] = []
        lines = check_size(body)
        check_is_ndjson(lines)
        for number, raw_line in enumerate(lines, start=1):
            if not raw_line.strip():
                continue
            try:
                line = ImportLine.model_validate(json.loads(raw_line))
                event = self._event(site, line, secret, oldest_ms, now_ms)
            except (ValueError, ValidationError, InvalidInput) as error:
                report.reject(number, _reason(error))
                continue
            if event is None:
                report.dropped_bots += 1
                continue
            events.append((event, event.ts_ms // 1000 + site.retention_days * 86_400))
        if events:
            batch = secrets.token_hex(8)
            self.raw.put_many(events, tz=site.timezone, batch=batch)
            # Stored first, then marked: a seal that starts after this reads them all, and the call
            # is acknowledged only once every hour they touch is marked (one write per hour), so a
            # query right after the 202 sees them however far the stream lags. The marks name the
            # batch, so the stream's aggregator need not mark those hours again for these events.
            Aggregator(self.marks, now_ms=lambda: now_ms, batch=batch).mark(Change(e, site.timezone) for e, _ in events)
        report.accepted = len(events)
        return report

    def _event(self, site: Site, line: ImportLine, secret: bytes, oldest_ms: int, now_ms: int) -> RawEvent | None:
        ts_ms = int(line.timestamp.timestamp() * 1000)
        if ts_ms < oldest_ms:
            raise ValueError(f"timestamp is older than the site's retention ({site.retention_days} days)")
        if ts_ms > now_ms + FUTURE_SLACK_MS:
            raise ValueError("timestamp is in the future")
        if line.visitor is not None:
            visitor = _keyed(secret, f"v|{line.visitor}")
        elif line.ip and line.user_agent:
            if is_bot(line.user_agent):
                return None
            day = line.timestamp.astimezone(UTC).date().isoformat()
            visitor = _keyed(secret, f"d|{day}|{line.ip}|{line.user_agent}")
        else:
            raise ValueError("each line needs `visitor`, or `ip` and `user_agent`")
        client = parse_user_agent(line.user_agent) if line.user_agent else None
        page = normalize_page(line.url)
        source = source_from(line.referrer, line.url, own_domain=site.domain)
        return RawEvent(
            event_id="i" + hashlib.blake2b(f"{site.site_id}|{line.id}".encode(), digest_size=12).hexdigest(),
            site_id=site.site_id, ts_ms=ts_ms, name=line.name, visitor=visitor, page=page.path,
            interactive=line.interactive, source=source.source, referrer=source.referrer_host or "",
            utm_source=source.utm_source or "", utm_medium=source.utm_medium or "",
            utm_campaign=source.utm_campaign or "", country=(line.country or "").upper(),
            device=(client.device or "") if client else "", browser=(client.browser or "") if client else "",
            os=(client.os or "") if client else "", props=parse_props(line.props),
        )


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in error.errors())
    if isinstance(error, InvalidInput):
        return error.message
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON: {error.msg}"
    return str(error)
