"""Shared fixtures: AWS (moto) built from template.yaml, fake credentials, isolated env.

moto runs with `tally_dev.moto_speedups` unless the session is given `--stock-moto` (or
TALLY_STOCK_MOTO=1): then moto runs as released, here and in every local cloud the tests start
(they inherit the variable). `make test` runs the suites marked `stock_moto` (the exactly-once and
transaction proofs, listed in STOCK_MOTO_SUITES) a second time that way, so they never rest on
the patched fake alone.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from tally.platform.aws import reset_clients
from tally_dev import moto_speedups
from tally_dev.template import ROOT, create_tables, load_template

# Hypothesis's per-example deadline (200 ms) is a stopwatch: on a shared, loaded machine a correct
# example can miss it. Properties here assert outcomes, never time.
hypothesis_settings.register_profile("tally", deadline=None)
hypothesis_settings.load_profile("tally")

#: Browser fixtures (chromium, tab), one session-wide Playwright per worker.
pytest_plugins = ["tests.browser.chromium"]

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
for _var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(_var, "testing")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "TallyTests")
os.environ.setdefault("POWERTOOLS_DEV", "0")

#: Set to "1", moto runs without the speedups; `tally_dev/localcloud/moto_host.py` reads it too.
STOCK_MOTO = "TALLY_STOCK_MOTO"

#: The exactly-once and transaction proofs, marked `stock_moto`: `make test` runs them on stock moto too.
STOCK_MOTO_SUITES = (
    "tests/integration/web/aggregate/",  # hostile delivery, crashes, replays, concurrent sealers, deletion
    "tests/integration/web/ingest/test_import_handler.py",  # an import sent three times, each line stored once
    "tests/integration/web/ingest/test_ingest_handler.py",  # duplicate events stored once (claim + event)
    "tests/integration/ops/test_ledger_dynamo.py",  # one entry and its counters in one transaction
    "tests/integration/public_stats/test_stores_dynamo.py",  # totals counted once per dedupe key
    "tests/integration/public_stats/test_stampede.py",  # one recomputation per cache expiry, leases honoured
    "tests/integration/sites/test_concurrent_creates.py",  # a domain claimed once among racing creates
    "tests/integration/sites/test_deletion_job.py",  # repeated, interrupted, concurrent deletions
    "tests/integration/sites/test_sites_are_counted_in_platform_totals.py",
    "tests/integration/localcloud/test_moto_speedups.py",  # DynamoDB's answers, and the moto each session runs
    "tests/e2e/web/test_crash_mid_batch.py",  # a crash mid-batch through the local cloud, counted once
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--stock-moto", action="store_true",
                     help=f"run moto without tally_dev.moto_speedups (same as {STOCK_MOTO}=1)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--stock-moto"):
        os.environ[STOCK_MOTO] = "1"  # local clouds started by the tests run their moto as released too
    if not stock_moto():
        moto_speedups.install()
    missing = [suite for suite in STOCK_MOTO_SUITES if not (ROOT / suite).exists()]
    if missing:  # a moved suite must not silently stop running on stock moto
        raise pytest.UsageError(f"STOCK_MOTO_SUITES names what does not exist: {missing}")


def stock_moto() -> bool:
    """Whether this session runs moto as released (no speedups)."""
    return os.environ.get(STOCK_MOTO) == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        if any(path == suite or (suite.endswith("/") and path.startswith(suite)) for suite in STOCK_MOTO_SUITES):
            item.add_marker(pytest.mark.stock_moto)


@dataclass
class AwsTables:
    """Physical names of the template's tables, keyed by logical id."""

    names: dict[str, str]

    def __getitem__(self, logical_id: str) -> str:
        return self.names[logical_id]


@contextmanager
def moto_tables() -> Iterator[AwsTables]:
    """moto in-process with every table of template.yaml (fresh names), clients reset around it."""
    from moto import mock_aws

    with mock_aws():
        import boto3

        reset_clients()
        yield AwsTables(create_tables(boto3.client("dynamodb"), load_template(), f"t{uuid.uuid4().hex[:8]}"))
        reset_clients()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsTables]:
    """moto in-process with every table of template.yaml; settings point at them via the env."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with moto_tables() as tables:
        _point_settings_at(tables.names, monkeypatch)
        _clear_settings_caches()
        yield tables
        _clear_settings_caches()


#: The environment variable through which each table's settings find it (as template.yaml sets them).
TABLE_VARIABLES = {"OpsTable": "OPS_TABLE", "IdentityTable": "IDENTITY_TABLE", "SaltsTable": "SALTS_TABLE",
                   "SitesTable": "SITES_TABLE", "PublicStatsTable": "PUBLIC_STATS_TABLE",
                   "EventsTable": "EVENTS_TABLE", "RollupsTable": "ROLLUPS_TABLE",
                   "UsageTable": "USAGE_TABLE", "CodeTable": "CODE_TABLE",
                   "ExportsTable": "EXPORTS_TABLE"}


def _point_settings_at(names: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for logical_id, variable in TABLE_VARIABLES.items():
        monkeypatch.setenv(variable, names[logical_id])


def _clear_settings_caches() -> None:
    """Forget every settings model and built object (the tally package's wiring caches)."""
    for cached in _wiring_caches():
        cached.cache_clear()


@functools.cache
def _wiring_caches() -> tuple[Any, ...]:
    """Each `@cache` function of a `*settings` or `*wiring` module of the tally package: the one place each
    capability reads its settings and builds its objects."""
    import importlib
    import pkgutil

    import tally

    found = []
    for info in pkgutil.walk_packages(tally.__path__, "tally."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.endswith(("settings", "wiring")):
            module = vars(importlib.import_module(info.name))
            found += [value for value in module.values()
                      if hasattr(value, "cache_clear") and getattr(value, "__module__", None) == info.name]
    return tuple(found)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A real moto server on a free loopback port (requests applied one at a time, like one table)."""
    from tally_dev.motoserver import MotoServer

    with MotoServer() as server:
        yield server.endpoint


@pytest.fixture
def aws_server(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsTables]:
    """The template's tables on the moto server, for tests that need real concurrent clients."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    reset_clients()
    names = create_tables(boto3.client("dynamodb", endpoint_url=moto_server), load_template(),
                          f"s{uuid.uuid4().hex[:8]}")
    _point_settings_at(names, monkeypatch)
    _clear_settings_caches()
    yield AwsTables(names)
    reset_clients()
    _clear_settings_caches()
