"""One local cloud (template.yaml, demo data) per test session, on a free port, reached over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tally.ops.kinds import OpsKind
from tally.ops.ledger import DynamoFailureLedger
from tally.ops.recorder import record_failure
from tally_dev.demo import DemoData, load_demo_data
from tally_dev.localcloud import LocalCloud


@dataclass
class Running:
    cloud: LocalCloud
    demo: DemoData
    http: httpx.Client

    def record_failures(self, org: str, kinds: list[OpsKind]) -> None:
        """Record failures the way Tally does: through the recorder, into the cloud's ledger."""
        ledger = DynamoFailureLedger(self.cloud.tables["OpsTable"], self.cloud.dynamodb)
        for kind in kinds:
            assert record_failure(kind, "e2e", "boom", org_id=org, ledger=ledger)


@pytest.fixture(scope="session")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    log_path = tmp_path_factory.mktemp("localcloud") / "cloud.log"
    with log_path.open("w") as log, LocalCloud(port=0, log=log) as cloud:
        demo = load_demo_data(cloud)
        with httpx.Client(base_url=cloud.url, timeout=30) as http:
            yield Running(cloud, demo, http)


@pytest.fixture
def org() -> str:
    """A fresh tenant per test, so tests never see each other's data."""
    return f"org-{uuid.uuid4().hex[:10]}"
