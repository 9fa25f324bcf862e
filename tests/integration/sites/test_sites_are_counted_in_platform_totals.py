"""Creating a site counts it once in the public platform totals, in the creation's own transaction."""

from __future__ import annotations

import boto3

from tally.totals.store import DynamoTotals
from tests.integration.sites.conftest import create


def test_each_created_site_counts_once_and_a_refused_one_not_at_all(call, aws):
    create(call, "one.example")
    create(call, "two.example", org="rival")
    assert call("POST", body={"domain": "one.example"}, org="rival").status == 409
    assert DynamoTotals(aws["PublicStatsTable"], boto3.client("dynamodb")).read().sites == 2
