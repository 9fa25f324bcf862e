"""The deletion job and the sites API agree with the template and with their sample events."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model, EventBridgeModel

from tally_dev.template import ROOT, functions, load_template, resolve
from tests.integration.handlers import load_handler_module

SITE_DATA_LOCATIONS = load_handler_module("SiteDeletionFunction").SITE_DATA_LOCATIONS


def test_every_site_data_location_names_a_table_variable_the_deletion_function_sets():
    environment = functions()["SiteDeletionFunction"].environment
    names = [location.name for location in SITE_DATA_LOCATIONS]
    assert len(names) == len(set(names)), "location names are stored in progress cursors: keep them unique"
    for location in SITE_DATA_LOCATIONS:
        assert location.table_env in environment, f"{location.name} needs {location.table_env}"


def test_the_sample_api_event_is_a_v2_event_from_the_authorizer():
    event = APIGatewayProxyEventV2Model.model_validate(json.loads((ROOT / "events/sites.json").read_text()))
    claims = event.requestContext.authorizer.lambda_value
    assert event.routeKey == "POST /api/v1/sites"
    assert claims["authenticated"] is True and claims["roles"] == "org_admin"


def test_the_schedule_sends_what_the_sample_event_holds():
    sample = json.loads((ROOT / "events/site_deletion.json").read_text())
    EventBridgeModel.model_validate(sample)
    schedule = functions()["SiteDeletionFunction"].events["Every15Minutes"]
    assert schedule["Type"] == "ScheduleV2"
    rendered = resolve(schedule["Properties"]["Input"], load_template(), {})
    for placeholder, value in (("<aws.scheduler.execution-id>", sample["id"]),
                               ("<aws.scheduler.scheduled-time>", sample["time"]),
                               ("<aws.scheduler.schedule-arn>", sample["resources"][0])):
        rendered = rendered.replace(placeholder, value)
    assert json.loads(rendered) == sample
