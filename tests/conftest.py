"""Shared fixtures: AWS (moto) built from template.yaml, fake credentials, isolated env."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tally.platform.aws import reset_clients
from tally_dev import moto_speedups
from tally_dev.template import create_tables, load_template

moto_speedups.install()

#: Browser fixtures (chromium, tab), one session-wide Playwright per worker.
pytest_plugins = ["tests.browser.chromium"]

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
for _var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(_var, "testing")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "TallyTests")
os.environ.setdefault("POWERTOOLS_DEV", "0")


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
                   "EventsTable": "EVENTS_TABLE", "RollupsTable": "ROLLUPS_TABLE"}


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
