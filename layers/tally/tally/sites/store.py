"""The sites table behind a small seam: sites and their domain claims (pynamodb models, `items`).

Uniqueness of a domain across the platform is a claim item written in the same transaction as
the site, on condition that no claim exists; a domain change swaps claims in one transaction;
the claim is released only when the deletion job deletes the site.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from tally.platform.aws import TransactionConflict
from tally.platform.entities import Operation, bind, commit
from tally.platform.errors import ServiceUnavailable
from tally.sites.keys import CLAIM_SK, SITE_SK_PREFIX, claim_pk, org_pk, site_sk
from tally.sites.model import Site, SiteStatus
from tally.totals.counters import site_created

if TYPE_CHECKING:
    from tally.sites.items import ClaimItem, SiteItem
    from tally.totals.store import DynamoTotals as TotalsWriter

_UPDATABLE = ("timezone", "retention_days", "domain")
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"


@dataclass(frozen=True)
class Claim:
    """Who holds a domain."""

    domain: str
    org_id: str
    site_id: str


class DomainTaken(Exception):
    def __init__(self, domain: str, holder: Claim | None) -> None:
        super().__init__(domain)
        self.domain = domain
        self.holder = holder


class SiteChanged(Exception):
    """The site was deleted, marked for deletion or given another domain while we wrote."""


class SiteStore(Protocol):
    def create(self, site: Site, totals: TotalsWriter | None = None) -> None: ...
    def get(self, org_id: str, site_id: str) -> Site | None: ...
    def list(self, org_id: str, after_site_id: str | None, limit: int) -> tuple[list[Site], bool]: ...
    def update(self, current: Site, changes: Mapping[str, Any], at: datetime) -> Site: ...
    def mark_deleting(self, org_id: str, site_id: str, at: datetime) -> Site | None: ...
    def claim(self, domain: str, consistent: bool = True) -> Claim | None: ...


class SiteTable:
    """The sites table's models, bound on first use (pynamodb is imported then, not at import)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @cached_property
    def sites(self) -> type[SiteItem]:
        from tally.sites.items import SiteItem

        return bind(SiteItem, self.table_name)

    @cached_property
    def claims(self) -> type[ClaimItem]:
        from tally.sites.items import ClaimItem

        return bind(ClaimItem, self.table_name)

    def site_item(self, org_id: str, site_id: str, *, consistent: bool = True) -> SiteItem | None:
        try:
            return self.sites.get(org_pk(org_id), site_sk(site_id), consistent_read=consistent)
        except self.sites.DoesNotExist:
            return None

    def release_claim(self, domain: str, site_id: str) -> Operation:
        """Delete the claim on `domain` unless another site holds it (a missing claim is fine)."""
        from tally.platform.entities import delete

        claims = self.claims
        return delete(claims.key_of(domain), claims.pk.does_not_exist() | (claims.site_id == site_id))


class DynamoSiteStore(SiteTable):
    """Sites in DynamoDB."""

    # -- reads ---------------------------------------------------------------------------------

    def get(self, org_id: str, site_id: str) -> Site | None:
        item = self.site_item(org_id, site_id)
        return item.site() if item else None

    def claim(self, domain: str, consistent: bool = True) -> Claim | None:
        claims = self.claims
        try:
            item = claims.get(claim_pk(domain), CLAIM_SK, consistent_read=consistent)
        except claims.DoesNotExist:
            return None
        return Claim(domain=item.domain, org_id=item.org_id, site_id=item.site_id)

    def list(self, org_id: str, after_site_id: str | None, limit: int) -> tuple[list[Site], bool]:
        """Up to `limit` sites after `after_site_id`, oldest first, and whether more follow."""
        sites = self.sites
        start = {"pk": {"S": org_pk(org_id)}, "sk": {"S": site_sk(after_site_id)}} if after_site_id else None
        # one more than asked, in one request: a full last page then says "no more" itself
        found = list(sites.query(org_pk(org_id), sites.sk.startswith(SITE_SK_PREFIX), consistent_read=True,
                                 limit=limit + 1, page_size=limit + 1, last_evaluated_key=start))
        return [item.site() for item in found[:limit]], len(found) > limit

    # -- writes --------------------------------------------------------------------------------

    def create(self, site: Site, totals: TotalsWriter | None = None) -> None:
        """Store the site and claim its domain, both or neither; DomainTaken when it is claimed.

        With `totals`, the site is also counted in the platform totals, in the same transaction:
        exactly once."""
        from tally.platform.entities import put

        sites, claims = self.sites, self.claims
        writes: list[Operation] = [put(sites.of(site), sites.pk.does_not_exist()),
                                   put(claims.of(site, site.created_at), claims.pk.does_not_exist())]
        if totals is not None:
            writes += [dict(item) for item in totals.contribution_items(f"site#{site.site_id}",
                                                                        site_created(site.created_at))]
        reasons = transact(writes)
        if reasons is None:
            return
        if reasons[1] == "ConditionalCheckFailed":
            raise DomainTaken(site.domain, self.claim(site.domain))
        raise SiteChanged(f"site id {site.site_id} collided")  # 80 random bits: practically never

    def update(self, current: Site, changes: Mapping[str, Any], at: datetime) -> Site:
        """Apply `changes` to an active site. A new domain is claimed and the old released atomically."""
        from pynamodb.exceptions import UpdateError

        from tally.platform.entities import put, update

        unknown = set(changes) - set(_UPDATABLE)
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        sites, claims = self.sites, self.claims
        actions = [getattr(sites, name).set(value) for name, value in changes.items()]
        actions.append(sites.updated_at.set(at))
        active = sites.status == SiteStatus.active.value
        item = sites.key_of(current.org_id, current.site_id)
        new_domain = changes.get("domain")
        if new_domain is None or new_domain == current.domain:
            try:
                item.update(actions=actions, condition=active)
            except UpdateError as error:
                if error.cause_response_code == CONDITIONAL_CHECK_FAILED:
                    raise SiteChanged(current.site_id) from None
                raise
            return item.site()
        moved = current.model_copy(update={"domain": new_domain})
        reasons = transact([
            update(item, actions, active & (sites.domain == current.domain)),
            put(claims.of(moved, at), claims.pk.does_not_exist()),
            self.release_claim(current.domain, current.site_id),
        ])
        if reasons is not None:
            if reasons[1] == "ConditionalCheckFailed":
                raise DomainTaken(new_domain, self.claim(new_domain))
            raise SiteChanged(current.site_id)
        updated = self.get(current.org_id, current.site_id)
        if updated is None:
            raise SiteChanged(current.site_id)
        return updated

    def mark_deleting(self, org_id: str, site_id: str, at: datetime) -> Site | None:
        """Mark an active site `deleting` and queue it for the deletion job.

        Returns the site as it now is (also when it was already being deleted); None if absent.
        """
        from pynamodb.exceptions import UpdateError

        sites = self.sites
        item = sites.key_of(org_id, site_id)
        queue_pk, queue_sk = sites.queue_key(org_id, site_id, at)
        try:
            item.update(actions=[sites.status.set(SiteStatus.deleting.value), sites.updated_at.set(at),
                                 sites.deletion_requested_at.set(at), sites.queue_pk.set(queue_pk),
                                 sites.queue_sk.set(queue_sk)],
                        condition=sites.status == SiteStatus.active.value)
        except UpdateError as error:
            if error.cause_response_code == CONDITIONAL_CHECK_FAILED:
                return self.get(org_id, site_id)  # already deleting (idempotent), or absent
            raise
        return item.site()


def transact(operations: Sequence[Operation]) -> list[str] | None:
    """The platform's transaction commit; conflicts that do not clear are a 503 for the sites API."""
    try:
        return commit(operations)
    except TransactionConflict as error:
        raise ServiceUnavailable("the sites table is busy with conflicting writes; retry shortly",
                                 retry_after_s=1) from error
