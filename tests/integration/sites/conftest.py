"""Sites through their handler, with real HTTP API v2 events, against the template's tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.apigw import FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module

SITES = "/api/v1/sites"


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


Call = Callable[..., Answer]


def sites_call(method: str, site_id: str | None = None, *, org: str = "demo", role: str = "org_admin",
               body: Any = None, query: dict[str, str] | None = None, claims: dict[str, Any] | None = None) -> Answer:
    path = f"{SITES}/{site_id}" if site_id is not None else SITES
    route = f"{method} {SITES}/{{site_id}}" if site_id is not None else f"{method} {SITES}"
    event = http_event(method, path, route=route, query=query,
                       body=body if body is None or isinstance(body, str) else json.dumps(body),
                       claims=claims if claims is not None else caller_claims(org, role),
                       path_parameters={"site_id": site_id} if site_id is not None else None)
    response = load_handler_module("SitesFunction").lambda_handler(event, FakeContext())
    text = response.get("body") or ""
    return Answer(response["statusCode"], json.loads(text) if text else None, response.get("headers") or {})


@pytest.fixture
def call(aws) -> Call:
    return sites_call


def create(call: Call, domain: str, *, org: str = "demo", **fields: Any) -> dict[str, Any]:
    answer = call("POST", org=org, body={"domain": domain, **fields})
    assert answer.status == 201, answer.body
    return dict(answer.body)


IDLE = {"state": "idle", "since": None, "progress": None, "checking": None, "buckets_carried": None}


def read(site: dict[str, Any]) -> dict[str, Any]:
    """The site as GET (and PATCH) answer it when nothing runs in the background."""
    return {**site, "rebucketing": IDLE}
