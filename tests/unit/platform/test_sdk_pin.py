"""The AWS SDK Lambda runs is the one the tests run: pynamodb relies on private botocore APIs."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from tally_dev.template import ROOT


def layer_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "layers/tally/requirements.txt").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, _, rest = line.partition("==")
            pins[name.strip().lower()] = rest.split(";")[0].strip()
    return pins


@pytest.mark.parametrize("package", ["boto3", "botocore", "pynamodb", "s3transfer"])
def test_the_layer_ships_the_sdk_the_tests_run_with(package):
    assert layer_pins().get(package) == version(package), (
        f"{package}: the layer and the test environment differ; run `make lock`")


def test_the_private_botocore_apis_pynamodb_uses_are_there():
    import botocore.session
    from pynamodb.connection.base import Connection

    client = Connection(region="us-east-1", host="http://127.0.0.1:9").client  # nothing is sent
    botocore_client = botocore.session.get_session().create_client("dynamodb", region_name="us-east-1")
    for name in ("_make_api_call", "_endpoint", "_request_signer"):
        assert hasattr(client, name) and hasattr(botocore_client, name), name
    assert hasattr(client._request_signer, "_credentials")


def test_the_layer_keeps_the_service_models_of_every_client_tally_creates():
    import ast
    import re

    source = (ROOT / "layers/tally/tally/platform/aws.py").read_text()
    created = {node.args[0].value for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "client"
               and node.args and isinstance(node.args[0], ast.Constant)}
    kept = re.search(r"^BOTOCORE_SERVICES := (.*)$", (ROOT / "layers/tally/Makefile").read_text(), re.M)
    assert kept is not None
    assert created and created <= set(kept.group(1).split()), "add the service to BOTOCORE_SERVICES"
