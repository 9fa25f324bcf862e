"""template.yaml is the truth: handlers, routes, environments, tables and auth all agree with it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from tally_dev.template import ROOT, functions, http_routes, load_template, resources_of_type

TEMPLATE = load_template()
FUNCTIONS = functions()
LAYER = ROOT / "layers" / "tally"


def handler_path(logical_id: str) -> Path:
    spec = FUNCTIONS[logical_id]
    return spec.code_dir / f"{spec.module.replace('.', '/')}.py"


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_handler_imports_with_an_empty_environment_and_opens_no_client(logical_id):
    """Lambda imports the handler before any request: it must need no variable and create no client."""
    spec = FUNCTIONS[logical_id]
    probe = (
        "import importlib, sys\n"
        f"module = importlib.import_module({spec.module!r})\n"
        f"assert callable(getattr(module, {spec.attribute!r}))\n"
        "assert 'boto3' not in sys.modules, 'boto3 imported at import time'\n"
    )
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": f"{spec.code_dir}{os.pathsep}{LAYER}"}
    result = subprocess.run([sys.executable, "-c", probe], env=env, cwd=spec.code_dir, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_every_function_runs_python_311_on_arm64_with_the_tally_layer():
    globals_fn = TEMPLATE["Globals"]["Function"]
    assert globals_fn["Runtime"] == "python3.11"
    assert globals_fn["Architectures"] == ["arm64"]
    assert globals_fn["Layers"] == [{"Ref": "TallyLayer"}]
    for lid, resource in resources_of_type(TEMPLATE, "AWS::Serverless::Function").items():
        props = resource["Properties"]
        assert props.get("Runtime", "python3.11") == "python3.11", lid
        if lid == "CodeMinerFunction":  # the global tally layer, plus the git layer only the miner needs
            assert props["Layers"] == [{"Ref": "GitLayer"}], lid
            continue
        assert "Layers" not in props, f"{lid} must use the global tally layer"


def resolver_routes(logical_id: str) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) for every route declared with @app.<method>(...) in the handler file."""
    tree = ast.parse(handler_path(logical_id).read_text())
    routes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "app" and \
                node.func.attr in {"get", "head", "post", "put", "patch", "delete"} and node.args and \
                isinstance(node.args[0], ast.Constant):
            path = str(node.args[0].value).replace("<", "{").replace(">", "}")
            routes.add((node.func.attr.upper(), path))
    return routes


def test_template_routes_and_handler_routes_match_both_ways():
    template_routes: dict[str, set[tuple[str, str]]] = {}
    for route in http_routes():
        if route.path != "$default":
            template_routes.setdefault(route.function, set()).add((route.method, route.path))
    for logical_id in FUNCTIONS:
        if logical_id == "AuthorizerFunction":
            continue
        assert resolver_routes(logical_id) == template_routes.get(logical_id, set()), logical_id


def test_every_route_names_its_authorizer_or_none():
    api = TEMPLATE["Resources"]["HttpApi"]["Properties"]["Auth"]
    assert api["DefaultAuthorizer"] in api["Authorizers"]
    for route in http_routes():
        assert route.auth in {*api["Authorizers"], "NONE"}, route


def test_only_the_public_routes_skip_the_authorizer():
    public = {(r.method, r.path) for r in http_routes() if r.auth == "NONE"}
    allowed_public = {("ANY", "$default"), ("GET", "/api/v1/public/stats"), ("POST", "/api/event"),
                      ("GET", "/js/script.js"), ("HEAD", "/js/script.js"), ("GET", "/"), ("GET", "/assets/{name}"),
                      ("GET", "/code"), ("GET", "/me/stats"), ("GET", "/sites"), ("GET", "/sites/{site_id}"),
                      ("GET", "/settings")}
    assert public <= allowed_public


def settings_models() -> dict[str, type[BaseSettings]]:
    """Every pydantic settings model in the tally package, by import path."""
    import importlib
    import pkgutil

    import tally

    found: dict[str, type[BaseSettings]] = {}
    for info in pkgutil.walk_packages(tally.__path__, "tally."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, BaseSettings) and value is not BaseSettings \
                    and value.__module__ == info.name:
                found[f"{info.name}.{name}"] = value
    return found


def models_used_by(logical_id: str) -> set[str]:
    """Settings models a function can reach: those in tally modules its handler imports, transitively."""
    reachable = _reachable_tally_modules(handler_path(logical_id))
    return {path for path in settings_models() if path.rsplit(".", 1)[0] in reachable}


def _reachable_tally_modules(handler: Path) -> set[str]:
    seen: set[str] = set()
    frontier = _imports_of(handler.read_text())
    while frontier:
        name = frontier.pop()
        if name in seen or not name.startswith("tally"):
            continue
        seen.add(name)
        module_file = LAYER / (name.replace(".", "/") + ".py")
        package_init = LAYER / name.replace(".", "/") / "__init__.py"
        source = module_file if module_file.exists() else package_init if package_init.exists() else None
        if source:
            frontier |= _imports_of(source.read_text())
    return seen


def _imports_of(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_variable_a_settings_model_reads_is_in_the_functions_environment(logical_id):
    models = settings_models()
    environment = {key.upper() for key in FUNCTIONS[logical_id].environment}
    for path in models_used_by(logical_id):
        for field_name, field in models[path].model_fields.items():
            name = (field.alias or field_name).upper()
            assert name in environment, f"{logical_id} uses {path}, which reads {name}; add it to its Environment"


def test_no_deployed_function_has_a_local_secret_or_a_local_clock_offset():
    """Only the local cloud fills these in (stage `local`); deployed, they are empty and the stage is prod."""
    declaring = [lid for lid, spec in FUNCTIONS.items() if "LOCAL_CLOCK_FILE" in spec.environment]
    assert "AuthorizerFunction" in declaring
    for logical_id, spec in FUNCTIONS.items():
        local_only = {k: v for k, v in spec.environment.items() if k in ("LOCAL_CLOCK_FILE", "LOCAL_JWT_SECRET")}
        assert all(value == "" for value in local_only.values()), logical_id
        if local_only:
            assert spec.environment.get("TALLY_STAGE") == "prod", logical_id


@pytest.mark.parametrize("logical_id", sorted(resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")))
def test_every_table_keeps_its_data_safe(logical_id):
    table = TEMPLATE["Resources"][logical_id]
    assert table.get("DeletionPolicy") == "Retain"
    assert table.get("UpdateReplacePolicy") == "Retain"
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props.get("BillingMode") == "PAY_PER_REQUEST"


def test_tables_whose_data_expires_have_ttl():
    for logical_id in ("OpsTable", "UsageTable"):
        ttl = TEMPLATE["Resources"][logical_id]["Properties"]["TimeToLiveSpecification"]
        assert ttl == {"AttributeName": "expires_at", "Enabled": True}


def test_the_api_url_is_an_output():
    assert "ApiUrl" in TEMPLATE["Outputs"]


def test_every_function_has_a_log_group_with_retention():
    groups = {json.dumps(r["Properties"].get("LogGroupName")): r for r in
              resources_of_type(TEMPLATE, "AWS::Logs::LogGroup").values()}
    for logical_id in FUNCTIONS:
        key = json.dumps({"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"})
        assert key in groups, f"{logical_id} has no log group"
        assert groups[key]["Properties"]["RetentionInDays"] > 0


def test_every_function_has_a_sample_event():
    events = {p.stem for p in (ROOT / "events").glob("*.json")}
    for logical_id, spec in FUNCTIONS.items():
        assert spec.code_dir.name in events, f"events/{spec.code_dir.name}.json is missing for {logical_id}"


def test_every_handler_is_wrapped_with_logger_metrics_and_tracer():
    for logical_id in FUNCTIONS:
        source = handler_path(logical_id).read_text()
        for decorator in ("@logger.inject_lambda_context", "@metrics.log_metrics", "@tracer.capture_lambda_handler"):
            assert decorator in source, f"{logical_id} lacks {decorator}"
