"""Many containers create the same domain at once: the claim transaction lets exactly one win."""

from __future__ import annotations

import importlib.util
import json
import threading
from types import ModuleType

from tally.sites.settings import site_store
from tally_dev.template import functions
from tests.apigw import FakeContext, caller_claims, http_event


def container(n: int) -> ModuleType:
    """A fresh import of the sites handler: its own resolver, as each Lambda container has."""
    spec = functions()["SitesFunction"]
    module_spec = importlib.util.spec_from_file_location(f"sites_container_{n}", spec.code_dir / "app.py")
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_concurrent_creates_of_one_domain_from_many_orgs_leave_exactly_one_site(aws_server):
    workers = 8
    containers = [container(n) for n in range(workers)]
    barrier = threading.Barrier(workers)
    answers: list[tuple[str, int, dict]] = []

    def create(n: int) -> None:
        org = f"org{n}"
        body = json.dumps({"domain": "https://www.race.example/" if n % 2 else "race.example"})
        event = http_event("POST", "/api/v1/sites", body=body, claims=caller_claims(org, "org_admin"))
        barrier.wait()
        response = containers[n].lambda_handler(event, FakeContext())
        answers.append((org, response["statusCode"], json.loads(response["body"])))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(status for _, status, _ in answers)
    assert statuses == [201] + [409] * (workers - 1), answers
    (winner_org, _, winner), = [(org, status, body) for org, status, body in answers if status == 201]
    claim = site_store().claim("race.example")
    assert (claim.org_id, claim.site_id) == (winner_org, winner["site_id"])
    for org, _, _ in answers:
        sites, _ = site_store().list(org, None, 10)
        assert [s.site_id for s in sites] == ([winner["site_id"]] if org == winner_org else [])
