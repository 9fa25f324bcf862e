"""Many containers create the same domain at once: the claim transaction lets exactly one win.

Each thread stands for one Lambda container and goes through the service and the store (the
claim transaction is what is under test). Threads do not share one process's Powertools resolver:
it keeps the current event in shared state, which a real container never shares between requests.
"""

from __future__ import annotations

import threading

from tally.sites.wiring import site_store


def test_concurrent_creates_of_one_domain_from_many_orgs_leave_exactly_one_site(aws_server):
    from tally.platform.errors import Conflict
    from tally.sites.model import SiteCreate
    from tally.sites.service import create_site
    from tally.sites.store import DynamoSiteStore

    workers = 8
    barrier = threading.Barrier(workers)
    answers: list[tuple[str, int, str | None]] = []

    def create(n: int) -> None:
        org = f"org{n}"
        store = DynamoSiteStore(aws_server["SitesTable"])  # one store (one client) per container
        request = SiteCreate(domain="https://www.race.example/" if n % 2 else "race.example")
        barrier.wait()
        try:
            site = create_site(store, org, request)
        except Conflict:
            answers.append((org, 409, None))
        else:
            answers.append((org, 201, site.site_id))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(status for _, status, _ in answers)
    assert statuses == [201] + [409] * (workers - 1), answers
    (winner_org, _, winner_site), = [a for a in answers if a[1] == 201]
    claim = site_store().claim("race.example")
    assert (claim.org_id, claim.site_id) == (winner_org, winner_site)
    for org, _, _ in answers:
        sites, _ = site_store().list(org, None, 10)
        assert [s.site_id for s in sites] == ([winner_site] if org == winner_org else [])
