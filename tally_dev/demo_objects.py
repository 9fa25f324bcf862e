"""The demo's objects under their fixed ids (`tally_dev.demo_ids`): the demo sites, Tally's own
repository as the demo org's codebase, and the demo viewer's export.

They are written by the product's own logic and stores (`tally.sites.service.create_site`,
`tally.code.service.register`, `tally.exports.service.request_export`), run in this process with the
product's AWS clients pointed at the local cloud's moto (`product_clients`), and given the fixed ids
through those functions' id parameters; nothing in a deployed function can choose an id.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tally.platform.caller import Caller, Role
from tally_dev.demo_ids import (
    DEMO_CODEBASE_ID,
    DEMO_CODEBASE_NAME,
    DEMO_EXPORT_ID,
    DEMO_ORG,
    DEMO_SITE,
    EXPORT_PERIOD,
    SITES,
    user_id,
)
from tally_dev.template import REGION, ROOT

if TYPE_CHECKING:
    from tally.exports.model import Export
    from tally_dev.localcloud import LocalCloud


@dataclass(frozen=True)
class DemoObjects:
    """What `create_demo_objects` made: org -> site id, the codebase's id, the export's id and the
    export job's message for it."""

    site_ids: dict[str, str]
    codebase_id: str
    export_id: str
    export_message: str


@contextlib.contextmanager
def product_clients(cloud: LocalCloud) -> Iterator[None]:
    """Point `tally.platform.aws`'s clients (and pynamodb's bindings) at the cloud's moto, then back.

    The product reads its endpoint from the environment, as the functions do; this process's own
    environment is restored afterwards, and the clients made meanwhile are forgotten."""
    from tally.platform.aws import reset_clients
    from tally_dev.localcloud.cloud import FAKE_CREDENTIALS

    values = {"AWS_ENDPOINT_URL": cloud.endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
              **FAKE_CREDENTIALS}
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    reset_clients()
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_clients()


def create_demo_objects(cloud: LocalCloud, *, now_ms: int | None = None) -> DemoObjects:
    """Create the demo sites, codebase and export (pending: `queue_demo_export` hands it to the job)."""
    from tally.code.model import CodebaseCreate
    from tally.code.service import register
    from tally.code.store import DynamoCodeStore
    from tally.exports.activity import DynamoActivity
    from tally.exports.service import request_export
    from tally.exports.store import DynamoExportStore
    from tally.exports.wiring import job_message
    from tally.platform.aws import dynamodb_client
    from tally.sites.model import SiteCreate
    from tally.sites.service import create_site
    from tally.sites.store import DynamoSiteStore
    from tally.totals.store import DynamoTotals
    from tally.web.query.periods import parse_range

    at_ms = int(time.time() * 1000) if now_ms is None else now_ms
    tables = cloud.tables
    with product_clients(cloud):
        sites = DynamoSiteStore(tables["SitesTable"])
        totals = DynamoTotals(tables["PublicStatsTable"], dynamodb_client())
        created: dict[str, str] = {}
        for fixed in SITES:
            site = create_site(sites, fixed.org, SiteCreate(domain=fixed.domain, timezone=fixed.timezone),
                               totals=totals, new_id=functools.partial(str, fixed.site_id))
            created[fixed.org] = site.site_id
        admin = Caller(user_id(DEMO_ORG, Role.org_admin), DEMO_ORG, frozenset({Role.org_admin}))
        codebase = register(DynamoCodeStore(tables["CodeTable"]), admin,
                            CodebaseCreate(url=str(ROOT), name=DEMO_CODEBASE_NAME), allow_local=True,
                            id_at=lambda _ms: DEMO_CODEBASE_ID)
        viewer = Caller(user_id(DEMO_ORG, Role.viewer), DEMO_ORG, frozenset({Role.viewer}))
        exported = sites.get(DEMO_ORG, DEMO_SITE.site_id)
        assert exported is not None
        held: list[Export] = []  # the job's message waits until the demo month is in (`queue_demo_export`)
        export = request_export(viewer, exported, parse_range(EXPORT_PERIOD, exported.timezone, at_ms),
                                store=DynamoExportStore(tables["ExportsTable"]), queue=held.append,
                                activity=DynamoActivity(tables["ExportsTable"]), request_id="demo-export",
                                now_ms=at_ms, keep_days=7, export_id=DEMO_EXPORT_ID)
    return DemoObjects(site_ids=created, codebase_id=codebase.codebase_id, export_id=export.export_id,
                       export_message=job_message(held[0]))


def queue_demo_export(cloud: LocalCloud, objects: DemoObjects) -> None:
    """Hand the demo export to the export job (`make dev` does, once the demo month is sealed)."""
    cloud.client("sqs").send_message(QueueUrl=cloud.queues["ExportQueue"], MessageBody=objects.export_message)
