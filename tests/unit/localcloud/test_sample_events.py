"""The sample events in events/: one per function, the real event its trigger sends (`sam local invoke` takes them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jwt
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerRequestV2,
    APIGatewayProxyEventV2Model,
    CloudWatchLogsModel,
    DynamoDBStreamModel,
    EventBridgeModel,
    SqsModel,
)
from pydantic import BaseModel

from tally.auth.identity import CredentialError
from tally.auth.tokens import TokenVerifier
from tally_dev.template import ROOT, functions, load_template, resources_of_type
from tally_dev.tokens import LOCAL_JWT_SECRET, jwt_parameters

EVENTS = ROOT / "events"
#: The Powertools model of the event each kind of trigger sends; the authorizer is handled apart.
MODELS = {"HttpApi": APIGatewayProxyEventV2Model, "Schedule": EventBridgeModel, "ScheduleV2": EventBridgeModel,
          "SQS": SqsModel, "DynamoDB": DynamoDBStreamModel, "CloudWatchLogs": CloudWatchLogsModel}


def sample_name(logical_id: str) -> str:
    """`OpsFailuresFunction` → `ops_failures`: the sample for a function is events/<name>.json."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id.removesuffix("Function")).lower()


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def authorizer_functions() -> set[str]:
    template = load_template()
    found = set()
    for api in resources_of_type(template, "AWS::Serverless::HttpApi").values():
        for authorizer in api["Properties"].get("Auth", {}).get("Authorizers", {}).values():
            arn = authorizer.get("FunctionArn")
            if isinstance(arn, dict) and "Fn::GetAtt" in arn:
                target = arn["Fn::GetAtt"]
                found.add(target[0] if isinstance(target, list) else target.split(".")[0])
    return found


def trigger_model(logical_id: str) -> type[BaseModel] | None:
    if logical_id in authorizer_functions():
        return ApiGatewayAuthorizerRequestV2
    kinds = {event.get("Type") for event in functions()[logical_id].events.values()}
    models = {MODELS[kind] for kind in kinds if kind in MODELS}
    return models.pop() if len(models) == 1 else None


FUNCTIONS = sorted(functions())


def test_every_function_of_the_template_has_a_sample_event():
    missing = [lid for lid in FUNCTIONS if not (EVENTS / f"{sample_name(lid)}.json").exists()]

    assert missing == []


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_each_sample_is_the_event_its_trigger_sends(logical_id):
    path = EVENTS / f"{sample_name(logical_id)}.json"
    model = trigger_model(logical_id)
    if not path.exists() or model is None:
        pytest.skip(f"no sample or no single trigger model for {logical_id}")
    event = load(path)

    model.model_validate(event)
    if model in (APIGatewayProxyEventV2Model, ApiGatewayAuthorizerRequestV2):
        assert event["version"] == "2.0"
        assert all(name == name.lower() for name in event["headers"])
        assert event["routeKey"] == event["requestContext"]["routeKey"]
        assert event["requestContext"]["timeEpoch"] > 10**12  # milliseconds


def test_the_authorizer_sample_is_an_authorizer_request():
    event = load(EVENTS / "authorizer.json")

    ApiGatewayAuthorizerRequestV2.model_validate(event)
    assert "body" not in event


def test_the_authorizer_samples_token_is_accepted_only_by_the_local_cloud():
    token = load(EVENTS / "authorizer.json")["headers"]["authorization"].removeprefix("Bearer ")
    issuer, audience = jwt_parameters(load_template())

    local = TokenVerifier(issuer=issuer, audience=audience, signing_keys=None, local_hs256_secret=LOCAL_JWT_SECRET)
    deployed = TokenVerifier(issuer=issuer, audience=audience, signing_keys=None, local_hs256_secret=None)
    assert local.verify(token).org_id == "demo"
    with pytest.raises(CredentialError, match="algorithm"):
        deployed.verify(token)
    assert jwt.decode(token, options={"verify_signature": False})["exp"] >= 4102444800  # good until 2100


def test_the_handler_samples_carry_the_authorizer_context_their_routes_get():
    context = load(EVENTS / "ops_failures.json")["requestContext"]["authorizer"]["lambda"]

    assert context["authenticated"] is True
    assert {"user_id", "org_id", "roles", "session_id", "key_id"} <= set(context)
    assert "authorizer" not in load(EVENTS / "fallback.json")["requestContext"]  # $default has Auth: NONE
