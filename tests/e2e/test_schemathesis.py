"""Schemathesis over the committed OpenAPI document, against the local cloud: the API keeps its contract.

Every operation of `layers/tally/tally/openapi.json` gets examples, coverage (boundary values,
missing and wrong-typed parameters and bodies, unexpected methods and content types), fuzzing and
stateful (links inferred from responses) cases, valid and invalid, judged by schemathesis' default
checks: no server error, only documented statuses, bodies and headers matching their schemas,
declared content types, invalid input refused, auth required where declared, no use after delete.
`positive_data_acceptance` is off (see `schemathesis_config`). The run is bounded (max examples
per operation, no time limit, so it always runs the same cases) and derandomized with a fixed
seed: CI sends the same requests every time. About a minute on an idle 2-core machine.

Requests authenticate as the org admin of a fresh organisation with a token minted like every
other e2e test's; site-scoped operations get a site of that organisation (with a few imported
events), except the deletion, which gets a site of its own so the others keep theirs.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import schemathesis
import schemathesis.engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, StopReason, events

from tally_dev.openapi import OPENAPI_PATH
from tally_dev.tokens import issue_token

#: Fixed, so every run sends the same requests (with `deterministic`, Hypothesis' derandomize).
SEED = 20261202
#: Fuzzing cases per operation (examples, coverage and stateful cases come on top).
MAX_EXAMPLES = 5
#: Methods the coverage phase sends where the document declares none, expecting 405 (from `$default`).
UNEXPECTED_METHODS = {"get", "put", "post", "delete", "patch", "options"}

IMPORT_PATH = "/api/v1/sites/{site_id}/events/import"
# NDJSON is text: send the generated string as it is.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


def create_site(http: httpx.Client, headers: dict[str, str], domain: str) -> str:
    response = http.post("/api/v1/sites", headers=headers, json={"domain": domain, "timezone": "Europe/Berlin"})
    assert response.status_code == 201, response.text
    return str(response.json()["site_id"])


def import_events(http: httpx.Client, headers: dict[str, str], site_id: str) -> None:
    start = datetime.now(UTC) - timedelta(hours=30)
    lines = [{"id": f"st{i}", "timestamp": (start + timedelta(minutes=37 * i)).isoformat(), "name": "pageview",
              "url": f"https://example.test/p{i % 3}", "referrer": "https://news.example/", "visitor": f"v{i % 5}"}
             for i in range(40)]
    response = http.post(f"/api/v1/sites/{site_id}/events/import", content="\n".join(map(json.dumps, lines)),
                         headers={**headers, "Content-Type": "application/x-ndjson"})
    assert response.status_code == 202 and response.json()["accepted"] == len(lines), response.text


def schemathesis_config(base_url: str, token: str, site_id: str, doomed_site_id: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "base-url": base_url,
        "workers": 1,  # one operation at a time: the same requests in the same order, every run
        "request-timeout": 30,
        "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES, "database": "none"},
        # TRACE and QUERY never reach Tally: API Gateway answers them (404) before any route or `$default`.
        "phases": {"coverage": {"unexpected-methods": sorted(UNEXPECTED_METHODS)}},
        # Schema-valid is not always acceptable, and OpenAPI cannot say why: `from`/`to` need
        # period=custom, a cursor must be one the API issued, a time zone must be in the IANA database.
        # Every other default check runs; this one would only test what the document cannot express.
        "checks": {"positive_data_acceptance": {"enabled": False}},
        "auth": {"openapi": {"bearer": {"bearer": token}}},
        "parameters": {"path.site_id": site_id},
        "operations": [
            {"include-method": "DELETE", "include-path": "/api/v1/sites/{site_id}",
             "parameters": {"path.site_id": doomed_site_id}},
            # An NDJSON body is text: a "wrong-typed" one (a number, an object) is the same text on the wire,
            # so negative bodies cannot be told from valid ones. tests/integration/test_error_shape.py
            # sends the import its refusals (401, 400, 415, 422) instead.
            {"include-path": IMPORT_PATH, "generation": {"mode": "positive"}},
        ],
    })


def failures_of(event: events.EngineEvent) -> list[str]:
    """What an engine event reports as wrong, each with a curl command that reproduces it."""
    if isinstance(event, events.NonFatalError):
        return [f"{event.label}: {event.info.title}: {event.info.message}"]
    if isinstance(event, events.FatalError):
        return [f"schemathesis failed: {event.exception!r}"]
    if not isinstance(event, events.ScenarioFinished) or event.status not in (Status.FAILURE, Status.ERROR):
        return []
    found = []
    for checks in event.recorder.checks.values():
        for check in checks:
            if check.failure_info is not None:
                failure = check.failure_info.failure
                found.append(f"{event.label} [{event.phase.value}] {check.name}: {failure.title}\n"
                             f"{failure.message}\n{check.failure_info.code_sample}")
    return found or [f"{event.label} [{event.phase.value}]: {event.status.value}"]


def test_the_api_keeps_its_documented_contract(local):
    org = f"st-{uuid.uuid4().hex[:10]}"
    token = issue_token(org, "org_admin")
    headers = {"Authorization": f"Bearer {token}"}
    site_id = create_site(local.http, headers, f"{org}.example.test")
    import_events(local.http, headers, site_id)
    doomed_site_id = create_site(local.http, headers, f"doomed-{org}.example.test")
    config = schemathesis_config(local.cloud.url, token, site_id, doomed_site_id)
    schema = schemathesis.openapi.from_dict(json.loads(OPENAPI_PATH.read_text()), config=config)

    found: list[str] = []
    finished = None
    for event in schemathesis.engine.from_schema(schema).execute():
        found.extend(failures_of(event))
        if isinstance(event, events.EngineFinished):
            finished = event

    assert finished is not None and finished.stop_reason is StopReason.COMPLETED, finished
    assert not found, "\n\n".join(dict.fromkeys(found))
