"""The site store the sites API creates sites with: one that also counts them in the platform totals."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings

from tally.sites.settings import sites_settings
from tally.sites.store import DynamoSiteStore


class SiteCountingSettings(BaseSettings):
    #: the public stats table whose platform totals count sites (empty: not counted)
    public_stats_table: str = ""


@cache
def counting_site_store() -> DynamoSiteStore:
    table = SiteCountingSettings().public_stats_table
    if not table:
        return DynamoSiteStore(table_name=sites_settings().sites_table)
    from tally.platform.aws import dynamodb_client
    from tally.public_stats.totals import DynamoTotals

    return DynamoSiteStore(table_name=sites_settings().sites_table, totals=DynamoTotals(table, dynamodb_client()))
