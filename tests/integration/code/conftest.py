"""Code analytics through its handlers: real HTTP API v2 events, the template's table, bucket and queue in moto."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tally_dev.template import load_template, resources_of_type
from tests.apigw import FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class CodeCloud:
    bucket: str
    queue_url: str
    tables: Any = None

    def call(self, method: str, path: str, *, org: str = "demo", role: str = "org_admin", user: str | None = None,
             body: Any = None, query: dict[str, str] | None = None) -> Answer:
        return code_call(method, path, org=org, role=role, user=user, body=body, query=query)

    def messages(self) -> list[dict[str, Any]]:
        import boto3

        sqs = boto3.client("sqs")
        found = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in found]


def route_of(method: str, path: str) -> tuple[str, str, dict[str, str]]:
    """The template route, handler and path parameters of a code-analytics path."""
    parts = path.strip("/").split("/")
    params: dict[str, str] = {}
    if parts[2] == "codebases" and len(parts) > 3:
        params["codebase_id"] = parts[3]
        parts[3] = "{codebase_id}"
    if len(parts) > 5 and parts[4] == "admins":
        params["user_id"] = parts[5]
        parts[5] = "{user_id}"
    template_path = "/" + "/".join(parts)
    handler = "CodeAnalyticsFunction" if "analytics" in parts else "CodebasesFunction"
    return f"{method} {template_path}", handler, params


def code_call(method: str, path: str, *, org: str = "demo", role: str = "org_admin", user: str | None = None,
              body: Any = None, query: dict[str, str] | None = None) -> Answer:
    route, handler, params = route_of(method, path)
    event = http_event(method, path, route=route, query=query,
                       body=body if body is None or isinstance(body, str) else json.dumps(body),
                       claims=caller_claims(org, role, user), path_parameters=params or None)
    response = load_handler_module(handler).lambda_handler(event, FakeContext())
    text = response.get("body") or ""
    return Answer(response["statusCode"], json.loads(text) if text else None, response.get("headers") or {})


@pytest.fixture
def code(aws, monkeypatch: pytest.MonkeyPatch) -> CodeCloud:
    import boto3

    assert resources_of_type(load_template(), "AWS::S3::Bucket")
    bucket = f"analytics-{aws.names['CodeTable'][:12].lower()}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    queue_url = boto3.client("sqs").create_queue(QueueName=f"mining-{aws.names['CodeTable']}")["QueueUrl"]
    monkeypatch.setenv("ANALYTICS_BUCKET", bucket)
    monkeypatch.setenv("MINING_QUEUE_URL", queue_url)
    monkeypatch.setenv("TALLY_STAGE", "prod")
    from tests.conftest import _clear_settings_caches

    _clear_settings_caches()
    return CodeCloud(bucket, queue_url, aws)


def register(code: CodeCloud, url: str = "https://github.com/example/repo", **fields: Any) -> dict[str, Any]:
    answer = code.call("POST", "/api/v1/codebases", body={"url": url, **fields})
    assert answer.status == 201, answer.body
    return dict(answer.body)


#: What the tests' DNS answers: public GitHub-like addresses, and names that lead inside.
DNS = {"github.com": ["140.82.112.3", "2606:50c0:8000::153"], "inside.example": ["140.82.112.3", "10.0.0.7"],
       "rebind.example": ["::ffff:127.0.0.1"]}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: str, port: int) -> list[str]:
        if host not in DNS:
            raise OSError("name does not resolve")
        return DNS[host]

    monkeypatch.setattr("tally.code.urls.system_resolver", resolve)
