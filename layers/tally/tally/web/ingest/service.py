"""Accepting one live event: drop bots, enrich, hash the visitor, store a raw event per site.

Nothing here keeps an IP address or a User-Agent: they are used for the bot check, the client
description and the visitor hash, then forgotten. An event is only acknowledged once stored and
its hour marked (so that queries see it before the stream is processed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.errors import ServiceUnavailable
from tally.sites.model import Site, SiteStatus
from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.marking import Aggregator, Change, own_hour
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.enrich.bots import is_bot
from tally.web.enrich.geo import GeoIpReader, country_from
from tally.web.enrich.pages import normalize_page
from tally.web.enrich.sources import source_from
from tally.web.enrich.user_agents import parse_user_agent
from tally.web.ingest.payload import EventPayload
from tally.web.visitors.ids import VisitorIds

#: Near midnight UTC an event also carries the visitor's id under yesterday's salt (see visits.py).
MIDNIGHT_OVERLAP_MS = 30 * 60_000
DAY_MS = 86_400_000


class SiteLookup(Protocol):
    def by_domain(self, domain: str) -> Site | None: ...


@dataclass(frozen=True)
class RequestMeta:
    request_id: str
    received_ms: int
    ip: str | None
    user_agent: str | None
    headers: Mapping[str, str]


@dataclass(frozen=True)
class IngestResult:
    stored: int
    duplicates: int
    dropped: str | None = None  # "bot" when the request was dropped as automated traffic


def event_id_for(meta: RequestMeta, index: int, client_id: str | None, site_id: str) -> str:
    """Deterministic: a Lambda retry of the same request, or a client retry with the same id, maps to one key."""
    basis = f"c|{site_id}|{client_id}" if client_id else f"r|{meta.request_id}|{index}"
    return hashlib.blake2b(basis.encode(), digest_size=12).hexdigest()


class Ingestor:
    def __init__(self, sites: SiteLookup, visitor_ids: VisitorIds, raw: RawEventStore, marks: DirtyMarks,
                 geoip: GeoIpReader | None = None) -> None:
        self.sites = sites
        self.visitor_ids = visitor_ids
        self.raw = raw
        # Its hour is marked before an event is stored (about once per hour per container, see
        # Aggregator): a query sees it however far the stream lags, and no seal of the hour can
        # start before the hour is over, so marking first cannot let a seal miss it.
        self.hours = Aggregator(marks, touched=own_hour)
        self.geoip = geoip

    def accept(self, payload: EventPayload, meta: RequestMeta) -> IngestResult:
        if is_bot(meta.user_agent, meta.headers):
            return IngestResult(0, 0, dropped="bot")
        page = normalize_page(payload.url, hash_mode=payload.hash_mode)
        client = parse_user_agent(meta.user_agent)
        country = country_from(meta.headers, meta.ip, self.geoip) or ""
        received = datetime.fromtimestamp(meta.received_ms / 1000, UTC)
        near_midnight = meta.received_ms % DAY_MS < MIDNIGHT_OVERLAP_MS
        stored = duplicates = 0
        for index, domain in enumerate(payload.domains):
            site = self.sites.by_domain(domain)
            if site is None or site.status is not SiteStatus.active:
                continue  # unknown domains are dropped silently, as Plausible does
            ids = self.visitor_ids.for_event(site.site_id, meta.ip, meta.user_agent, received)
            source = source_from(payload.referrer, payload.url, own_domain=site.domain)
            event = RawEvent(
                event_id=event_id_for(meta, index, payload.client_id, site.site_id),
                site_id=site.site_id, ts_ms=meta.received_ms, name=payload.name, visitor=ids.current,
                page=page.path, alt_visitor=ids.previous if near_midnight else None,
                interactive=payload.interactive, source=source.source, referrer=source.referrer_host or "",
                utm_source=source.utm_source or "", utm_medium=source.utm_medium or "",
                utm_campaign=source.utm_campaign or "", country=country, device=client.device or "",
                browser=client.browser or "", os=client.os or "", props=payload.props,
            )
            expires_at = meta.received_ms // 1000 + site.retention_days * 86_400
            try:
                self.hours.mark([Change(event, site.timezone)])
                is_new = self.raw.put(event, expires_at, tz=site.timezone, client_id=payload.client_id)
            except Exception as error:  # not stored: answer 503 so that the client retries
                record_failure(OpsKind.ingest, "store-event", error, org_id=site.org_id,
                               failure_id=f"ingest#{event.event_id}")
                raise ServiceUnavailable("the event could not be stored; retry shortly", retry_after_s=5) \
                    from error
            stored += is_new
            duplicates += not is_new
        return IngestResult(stored, duplicates)
