"""Generate Tally's OpenAPI document from the code: every API function's resolver, merged.

The document is committed at `layers/tally/tally/openapi.json` (the fallback function reads its
routes from it); `tally openapi --check` and a test fail when the code and the file drift apart.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

from tally.platform.api_docs import (
    ERROR_SCHEMA,
    ERROR_SCHEMA_NAME,
    GATEWAY_ERROR_SCHEMA,
    GATEWAY_ERROR_SCHEMA_NAME,
    error_response,
)
from tally_dev.template import ROOT, functions, http_routes

OPENAPI_PATH = ROOT / "layers" / "tally" / "tally" / "openapi.json"
DESCRIPTION = (
    "Tally's HTTP API. Authenticate with `Authorization: Bearer <JWT or tly_ API key>` unless a route "
    "is public. Every error has one shape: `{\"error\": {\"code\", \"message\", \"details\"}}`."
)


def api_handler_files() -> list[Path]:
    """The handler file of every function that serves at least one concrete HTTP route."""
    served = {r.function for r in http_routes() if r.path != "$default"}
    specs = functions()
    return sorted(specs[lid].code_dir / f"{specs[lid].module.replace('.', '/')}.py" for lid in served)


def generate() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    merge = OpenAPIMerge(
        title="Tally API",
        version="1.0.0",
        description=DESCRIPTION,
        security_schemes={"bearer": HTTPBearer(description="A JWT or a tly_ API key")},
        on_conflict="error",
    )
    for path in api_handler_files():
        merge.add_file(path, resolver_name="app")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a handler that fails to import must fail generation
        schema = json.loads(merge.get_openapi_json_schema())
    public = {(r.method.lower(), r.path) for r in http_routes() if r.auth == "NONE"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if (method, path) not in public:
                operation["security"] = [{"bearer": []}]
            # Any request over the function's body limit (or API Gateway's 10 MB) is refused, whatever the route.
            operation["responses"].setdefault("413", error_response(413))
            replace_powertools_422(operation)
    return with_error_components(dict(schema))


def replace_powertools_422(operation: dict[str, Any]) -> None:
    """Powertools documents a 422 in its own shape on every route; Tally answers 422 in the error shape,
    and only where something is validated: a parameter or a body."""
    documented = operation["responses"].get("422", {})
    if "HTTPValidationError" not in json.dumps(documented):
        return
    if operation.get("parameters") or operation.get("requestBody"):
        operation["responses"]["422"] = error_response(422)
    else:
        del operation["responses"]["422"]


def with_error_components(schema: dict[str, Any]) -> dict[str, Any]:
    """Tally's error schemas in, Powertools' validation error schemas (another shape, never answered) out."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    components[GATEWAY_ERROR_SCHEMA_NAME] = GATEWAY_ERROR_SCHEMA
    for powertools_only in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"#/components/schemas/{powertools_only}" in json.dumps(schema["paths"]):
            raise ValueError(f"an operation still answers Powertools' {powertools_only}: document it with "
                             "tally.platform.api_docs.errors(...)")
        components.pop(powertools_only, None)
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(write: bool = False) -> int:
    text = render(generate())
    if write:
        OPENAPI_PATH.write_text(text)
        print(f"wrote {OPENAPI_PATH.relative_to(ROOT)}")
        return 0
    if OPENAPI_PATH.read_text() != text:
        print(f"{OPENAPI_PATH.relative_to(ROOT)} is out of date: run `make openapi`", file=sys.stderr)
        return 1
    print("OpenAPI document is up to date")
    return 0
