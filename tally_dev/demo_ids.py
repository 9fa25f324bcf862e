"""The demo's fixed ids: what `make dev` (and `make invoke`'s own cloud) creates, and what the sample
events in events/ address, so that every sample finds its objects.

Production ids stay random (`tally.sites.ids`, `tally.code.ids`, `tally.exports.service`): only the
demo passes these, through the id parameters of the product's own logic (`tally_dev.demo_objects`).
Site and codebase ids have the product's shape (26 characters of lower-case Crockford base32, a
ULID of time 0), so they pass the same validation as real ones. The README lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from tally.platform.caller import Role


@dataclass(frozen=True)
class DemoSite:
    org: str
    site_id: str
    domain: str
    timezone: str
    visits_per_day: int


DEMO_ORG = "demo"
RIVAL_ORG = "rival"
ORGS = (DEMO_ORG, RIVAL_ORG)

#: One site per org: the demo org's carries the demo month and the live traffic.
DEMO_SITE = DemoSite(DEMO_ORG, "00000000000000000000000001", "demo.tally.test", "Europe/Berlin", 120)
RIVAL_SITE = DemoSite(RIVAL_ORG, "00000000000000000000000002", "rival.tally.test", "America/New_York", 40)
SITES = (DEMO_SITE, RIVAL_SITE)

#: Tally's own repository (this checkout), registered for the demo org; `make dev` mines it.
DEMO_CODEBASE_ID = "0000000000000000000000000c"
DEMO_CODEBASE_NAME = "tally"
#: The demo viewer's export of the demo site's last 7 days (`make dev` builds it once the month is sealed).
DEMO_EXPORT_ID = "exp_00000000000000000001"
EXPORT_PERIOD = "7d"

#: The platform staff member: one person, holding super_admin in whichever org they act in.
PLATFORM_USER = "platform-staff"
#: The session id of the tokens in events/ (the demo's own tokens get a random one each run).
SAMPLE_SESSION = "sample-session"


def user_id(org: str, role: str | Role) -> str:
    """The demo user of a role in an org: `demo-viewer`, `demo-org-admin`, `platform-staff`."""
    role = Role(role)
    return PLATFORM_USER if role is Role.super_admin else f"{org}-{role.value.replace('_', '-')}"


def api_key_id(org: str) -> str:
    """The id of the org admin's demo API key (the key itself is random, shown by `make dev`)."""
    return f"{org}-demo-key"
