"""Privacy: after visitor ids are computed (and salts rotated), no table and no log line holds an IP or UA."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta

import boto3

from tally.web.visitors.ids import VisitorIds
from tally.web.visitors.wiring import salt_store, visitor_ids
from tally_dev.template import load_template, resources_of_type
from tests.apigw import FakeContext
from tests.integration.handlers import load_handler_module

IPS = ["203.0.113.9", "198.51.100.23", "2001:db8::7", "192.0.2.1"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
]
# Fragments distinctive enough that finding one anywhere means a raw value leaked.
NEEDLES = [*IPS, "Mozilla/5.0", "AppleWebKit", "Gecko/20100101", "iPhone OS 18_1"]


def every_stored_value(table_names: list[str]) -> list[str]:
    """Every item of every table as text, binary attributes included (raw, as text and base64)."""
    client = boto3.client("dynamodb")
    texts = []
    for name in table_names:
        for page in client.get_paginator("scan").paginate(TableName=name):
            for item in page["Items"]:
                texts.append(json.dumps(item, default=lambda b: b.decode("latin-1") + base64.b64encode(b).decode()))
    return texts


def test_no_table_and_no_log_line_holds_a_raw_ip_or_user_agent(aws, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    ids: VisitorIds = visitor_ids()
    start = datetime.now(UTC) - timedelta(days=2)
    computed = []
    for hour in range(0, 72, 5):  # across two midnights: salts created on demand, then rotated
        now = start + timedelta(hours=hour)
        for ip in IPS:
            for ua in USER_AGENTS:
                computed.append(ids.for_event("site-privacy", ip, ua, now))
        salt_store().rotate(now)
    load_handler_module("SaltRotationFunction").lambda_handler(
        {"version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.scheduler",
         "account": "123456789012", "time": datetime.now(UTC).isoformat(), "region": "us-east-1",
         "resources": [], "detail": {}}, FakeContext())

    tables = list(resources_of_type(load_template(), "AWS::DynamoDB::Table"))
    stored = every_stored_value([aws[lid] for lid in tables])
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text

    assert stored, "the salts table should hold today's salts"
    assert "salts rotated" in logs  # the check below reads the real log output
    assert len({pair.current for pair in computed}) > len(IPS) * len(USER_AGENTS)  # ids rotate with the salt
    for needle in NEEDLES:
        assert not any(needle in text for text in stored), f"{needle!r} is stored"
        assert needle not in logs, f"{needle!r} is logged"
