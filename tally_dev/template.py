"""`template.yaml` read as data: functions, routes, tables, environments with intrinsics resolved.

Everything local (the local cloud, the tests, the OpenAPI generator) reads the template through
this module, so none of them can drift from what `sam deploy` creates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return _parsed(Path(path).resolve())


@cache
def _parsed(path: Path) -> dict[str, Any]:  # one parse per file, however callers name it (~1 s each)
    return yaml_parse(path.read_text())


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == resource_type}


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    module: str
    attribute: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, Any]  # unresolved: values may be intrinsics
    events: dict[str, Any] = field(default_factory=dict)


def functions(template: dict[str, Any] | None = None) -> dict[str, FunctionSpec]:
    template = template or load_template()
    globals_fn = template.get("Globals", {}).get("Function", {})
    global_env = dict(globals_fn.get("Environment", {}).get("Variables", {}))
    specs = {}
    for lid, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        props = resource["Properties"]
        module, _, attribute = props.get("Handler", globals_fn.get("Handler", "")).rpartition(".")
        env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
        specs[lid] = FunctionSpec(
            logical_id=lid,
            code_dir=ROOT / props["CodeUri"],
            module=module,
            attribute=attribute,
            timeout_s=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
            memory_mb=int(props.get("MemorySize", globals_fn.get("MemorySize", 128))),
            environment=env,
            events=dict(props.get("Events", {})),
        )
    return specs


@dataclass(frozen=True)
class HttpRoute:
    function: str
    method: str  # upper case, or ANY
    path: str  # API Gateway syntax: /api/v1/sites/{site_id}, or $default
    auth: str  # the authorizer's name, or NONE


def http_routes(template: dict[str, Any] | None = None) -> list[HttpRoute]:
    template = template or load_template()
    apis = resources_of_type(template, "AWS::Serverless::HttpApi")
    default_auth = {lid: api["Properties"].get("Auth", {}).get("DefaultAuthorizer", "NONE")
                    for lid, api in apis.items()}
    routes = []
    for spec in functions(template).values():
        for event in spec.events.values():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties", {})
            api_ref = props.get("ApiId", {}).get("Ref") if isinstance(props.get("ApiId"), dict) else None
            auth = props.get("Auth", {}).get("Authorizer") or default_auth.get(api_ref or "", "NONE")
            routes.append(HttpRoute(spec.logical_id, str(props.get("Method", "ANY")).upper(),
                                    str(props.get("Path", "$default")), auth))
    return routes


def table_name(stack: str, logical_id: str) -> str:
    return f"{stack}-{logical_id}"


def physical_names(template: dict[str, Any], stack: str) -> dict[str, str]:
    """The names the local cloud gives the template's data resources (tables, buckets, queues)."""
    names = {}
    for lid, resource in template["Resources"].items():
        if resource["Type"] == "AWS::DynamoDB::Table":
            names[lid] = table_name(stack, lid)
        elif resource["Type"] == "AWS::S3::Bucket":
            names[lid] = f"{stack}-{lid}".lower()
        elif resource["Type"] == "AWS::SQS::Queue":
            names[lid] = f"http://localhost/{ACCOUNT}/{stack}-{lid}"
    return names


def resolve(value: Any, template: dict[str, Any], names: dict[str, str],
            parameters: dict[str, str] | None = None, attributes: dict[str, str] | None = None) -> str:
    """Resolve the intrinsics environment variables use: Ref, GetAtt …Arn, Sub.

    `attributes` (`"LogicalId.Attribute"` -> value) holds what only exists once created, such as
    a table's real `StreamArn`; without it such attributes get a well-formed placeholder.
    """
    params = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
    params.update(parameters or {})
    pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": "tally-local",
              "AWS::URLSuffix": "amazonaws.com", "AWS::Partition": "aws"}

    def ref(name: str) -> str:
        if name in names:
            return names[name]
        if name in params:
            return params[name]
        if name in pseudo:
            return pseudo[name]
        raise KeyError(f"cannot resolve Ref {name}")

    if isinstance(value, str | int | float | bool):
        return str(value)
    if "Ref" in value:
        return ref(value["Ref"])
    if "Fn::GetAtt" in value:
        target, attribute = value["Fn::GetAtt"] if isinstance(value["Fn::GetAtt"], list) else \
            value["Fn::GetAtt"].split(".", 1)
        if attributes and f"{target}.{attribute}" in attributes:
            return attributes[f"{target}.{attribute}"]
        kind = template["Resources"][target]["Type"]
        if kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{names[target]}"
        if kind == "AWS::DynamoDB::Table" and attribute == "StreamArn":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{names[target]}/stream/1970-01-01T00:00:00.000"
        if kind == "AWS::SQS::Queue" and attribute == "Arn":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{names[target].rsplit('/', 1)[-1]}"
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return names[target].rsplit("/", 1)[-1]
        if kind == "AWS::SQS::Queue" and attribute == "QueueUrl":
            return names[target]
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{names[target]}"
        raise KeyError(f"cannot resolve GetAtt {target}.{attribute}")
    if "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        return re.sub(r"\$\{([^}]+)\}", lambda m: ref(m.group(1)), text)
    raise KeyError(f"cannot resolve {value!r}")


def function_environment(spec: FunctionSpec, template: dict[str, Any], names: dict[str, str],
                         overrides: dict[str, str] | None = None,
                         attributes: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: resolve(value, template, names, attributes=attributes) for key, value in spec.environment.items()}
    env.update(overrides or {})
    return env


_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
               "BillingMode", "StreamSpecification")


def create_tables(client: Any, template: dict[str, Any], stack: str) -> dict[str, str]:
    """Create every DynamoDB table of the template (keys, indexes, streams, TTL) through `client`."""
    names = {}
    for lid, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        name = table_name(stack, lid)
        kwargs = {k: props[k] for k in _TABLE_KEYS if k in props}
        if "StreamSpecification" in kwargs:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **kwargs["StreamSpecification"]}
        client.create_table(TableName=name, **kwargs)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "AttributeName": ttl["AttributeName"], "Enabled": True})
        names[lid] = name
    return names
