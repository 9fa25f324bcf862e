"""The sites API's logic: create, list, read, change and delete an organisation's sites.

Every function takes the caller's org id (from the authorizer, never from the request) and the
store; another organisation's site is indistinguishable from a missing one (404).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from tally.platform.errors import Conflict, NotFound
from tally.sites.cursor import decode_cursor, encode_cursor
from tally.sites.ids import is_site_id, new_site_id
from tally.sites.model import IDLE, Rebucketing, Site, SiteCreate, SiteDetail, SitePage, SitePatch, SiteStatus
from tally.sites.store import DomainTaken, SiteChanged, SiteStore

if TYPE_CHECKING:
    from tally.totals.store import DynamoTotals as TotalsWriter

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50


class ZoneChanges(Protocol):
    """Told before a site's time zone changes, so that data kept in its zone can follow
    (web analytics re-buckets its hours and days: tally.web.aggregate.rebucket)."""

    def changing(self, site: Site, timezone: str) -> None: ...

    def progress(self, site: Site) -> Rebucketing:
        """Where the re-bucketing into the site's zone stands: a bounded read, never a walk of its data."""
        ...


def create_site(store: SiteStore, org_id: str, request: SiteCreate, *, totals: TotalsWriter | None = None,
                now: datetime | None = None, new_id: Callable[[], str] = new_site_id) -> Site:
    """Add a site; with `totals`, it is counted in the platform totals in the same write."""
    moment = _millis(now or datetime.now(UTC))
    site = Site(site_id=new_id(), org_id=org_id, domain=request.domain, timezone=request.timezone,
                retention_days=request.retention_days, status=SiteStatus.active,
                created_at=moment, updated_at=moment)
    try:
        store.create(site, totals)
    except DomainTaken as taken:
        raise _conflict(taken, org_id) from None
    return site


def list_sites(store: SiteStore, org_id: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> SitePage:
    after = decode_cursor(cursor) if cursor else None
    sites, more = store.list(org_id, after, min(max(limit, 1), MAX_PAGE_SIZE))
    return SitePage(sites=sites, next_cursor=encode_cursor(sites[-1].site_id) if more and sites else None)


def get_site(store: SiteStore, org_id: str, site_id: str) -> Site:
    site = store.get(org_id, site_id) if is_site_id(site_id) else None
    if site is None:
        raise NotFound(f"no site {site_id}")
    return site


def with_progress(site: Site, zone_changes: ZoneChanges) -> SiteDetail:
    """The site with the progress of its re-bucketing (a site being deleted re-buckets nothing)."""
    rebucketing = zone_changes.progress(site) if site.status is SiteStatus.active else IDLE
    return SiteDetail(**dict(site), rebucketing=rebucketing)


def get_counted_site(store: SiteStore, org_id: str, site_id: str) -> Site:
    """A site whose stats may be read: an active one. A site being deleted answers 404 like a
    missing one — its data is on its way out, so its old numbers are no answer."""
    site = get_site(store, org_id, site_id)
    if site.status is not SiteStatus.active:
        raise NotFound(f"no site {site_id}")
    return site


def update_site(store: SiteStore, org_id: str, site_id: str, patch: SitePatch, *,
                now: datetime | None = None, zone_changes: ZoneChanges | None = None) -> Site:
    current = get_site(store, org_id, site_id)
    _require_active(current)
    changes: dict[str, Any] = {k: v for k, v in patch.changes().items() if getattr(current, k) != v}
    if not changes:
        return current
    if zone_changes is not None and "timezone" in changes:
        # Before, not after: if the update then fails, the follower finds nothing to move.
        zone_changes.changing(current, changes["timezone"])
    try:
        return store.update(current, changes, now or datetime.now(UTC))
    except DomainTaken as taken:
        raise _conflict(taken, org_id) from None
    except SiteChanged:
        _require_active(get_site(store, org_id, site_id))
        raise Conflict("the site changed while it was being updated; read it again and retry") from None


def delete_site(store: SiteStore, org_id: str, site_id: str, *, now: datetime | None = None) -> Site:
    """Mark the site `deleting`; the deletion job removes its data, then the site and its domain claim.

    Deleting a site that is already being deleted answers the same (idempotent).
    """
    site = store.mark_deleting(org_id, site_id, now or datetime.now(UTC)) if is_site_id(site_id) else None
    if site is None:
        raise NotFound(f"no site {site_id}")
    return site


def _millis(moment: datetime) -> datetime:
    """Times are stored to the millisecond: answer with the time as it will read back."""
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _require_active(site: Site) -> None:
    if site.status is not SiteStatus.active:
        raise Conflict(f"site {site.site_id} is being deleted and can no longer change")


def _conflict(taken: DomainTaken, org_id: str) -> Conflict:
    holder = taken.holder
    if holder is not None and holder.org_id == org_id:
        return Conflict(f"this organisation already has a site for {taken.domain}",
                        details=[{"field": "domain", "rule": "already registered", "site_id": holder.site_id}])
    # Another organisation's claim: say the domain is taken, never by whom.
    return Conflict(f"{taken.domain} is already registered on Tally",
                    details=[{"field": "domain", "rule": "already registered"}])
