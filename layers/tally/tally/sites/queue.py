"""The deletion queue: sites marked `deleting`, their progress cursors, and their final removal.

Sites being deleted carry `queue_pk`/`queue_sk`, so they (and only they) appear in the sparse
`DeletionQueue` index, oldest request first. Progress is stored on the site item itself; writes
to it are conditional on the site still being `deleting`, so a run that lost a race to another
run's finalisation notices instead of resurrecting the item. Emptying a location (any table,
any key shape) uses the low-level client: it is bulk work on keys, not on entity items.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tally.platform.aws import dynamodb_client
from tally.sites.keys import DELETION_INDEX, DELETION_QUEUE_PK, SITE_SK_PREFIX, Item, org_pk
from tally.sites.locations import SiteRef
from tally.sites.model import SiteStatus
from tally.sites.store import CONDITIONAL_CHECK_FAILED, SiteTable, transact

_BATCH = 25
_BATCH_ATTEMPTS = 8


@dataclass(frozen=True)
class DeletionState:
    site: SiteRef
    domain: str
    requested_at: datetime
    location: str | None
    cursor: str | None


class DynamoDeletionQueue(SiteTable):
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        super().__init__(table_name)
        self._client = client

    @property
    def client(self) -> Any:
        """The low-level client the job empties locations with."""
        if self._client is None:
            self._client = dynamodb_client()
        return self._client

    def pending(self, limit: int, start: Item | None = None) -> tuple[list[SiteRef], Item | None]:
        """A page of sites waiting for deletion, oldest request first, and where the next page starts."""
        found = self.sites.query(DELETION_QUEUE_PK, index_name=DELETION_INDEX, limit=limit, page_size=limit,
                                 last_evaluated_key=start)
        refs = [SiteRef(org_id=item.pk.removeprefix(org_pk("")), site_id=item.sk.removeprefix(SITE_SK_PREFIX))
                for item in found]
        return refs, found.last_evaluated_key

    def state(self, site: SiteRef) -> DeletionState | None:
        """The site's deletion progress (strongly consistent); None once the site is gone."""
        item = self.site_item(site.org_id, site.site_id)
        if item is None or item.status != SiteStatus.deleting.value or item.deletion_requested_at is None:
            return None
        return DeletionState(site=site, domain=item.domain, requested_at=item.deletion_requested_at,
                             location=item.deletion_location, cursor=item.deletion_cursor)

    def save_progress(self, site: SiteRef, location: str, cursor: str | None) -> bool:
        """Remember where deletion stands; False when the site is no longer waiting for deletion."""
        from pynamodb.exceptions import UpdateError
        from pynamodb.expressions.update import Action

        sites = self.sites
        actions: list[Action] = [sites.deletion_location.set(location),
                                 sites.deletion_cursor.remove() if cursor is None
                                 else sites.deletion_cursor.set(cursor)]
        try:
            sites.key_of(site.org_id, site.site_id).update(actions=actions,
                                                           condition=sites.status == SiteStatus.deleting.value)
        except UpdateError as error:
            if error.cause_response_code == CONDITIONAL_CHECK_FAILED:
                return False
            raise
        return True

    def finalise(self, state: DeletionState) -> bool:
        """Delete the site item and release its domain, together; False if another run did it first."""
        from tally.platform.entities import delete

        site, sites = state.site, self.sites
        reasons = transact([
            delete(sites.key_of(site.org_id, site.site_id), sites.status == SiteStatus.deleting.value),
            self.release_claim(state.domain, site.site_id),
        ])
        if reasons is None:
            return True
        if reasons[0] == "ConditionalCheckFailed":
            return False
        raise RuntimeError(f"the claim on {state.domain} belongs to another site than {site.site_id}")

    def delete_keys(self, table_name: str, keys: Sequence[Item]) -> None:
        """Delete items by key, 25 to a request, retrying what DynamoDB leaves unprocessed."""
        for start in range(0, len(keys), _BATCH):
            pending: dict[str, Any] = {table_name: [{"DeleteRequest": {"Key": dict(key)}}
                                                    for key in keys[start:start + _BATCH]]}
            for attempt in range(_BATCH_ATTEMPTS):
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
            if pending:
                raise RuntimeError(f"DynamoDB left {len(pending[table_name])} deletes unprocessed in {table_name}")
