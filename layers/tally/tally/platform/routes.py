"""The API's routes, read from the committed OpenAPI document shipped inside the `tally` package.

The fallback function (HTTP API `$default` route) uses it to tell "no such path" (404) from
"path exists, method does not" (405), in Tally's error shape.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

OPENAPI_RESOURCE = "openapi.json"
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}


@cache
def route_table() -> tuple[tuple[re.Pattern[str], frozenset[str]], ...]:
    document = json.loads(resources.files("tally").joinpath(OPENAPI_RESOURCE).read_text())
    table = []
    for path, operations in document.get("paths", {}).items():
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "/?$")
        table.append((pattern, frozenset(m.upper() for m in operations if m in _METHODS)))
    return tuple(table)


def allowed_methods(path: str) -> frozenset[str]:
    """Methods the API answers on `path` (empty when no route has this path)."""
    allowed: set[str] = set()
    for pattern, methods in route_table():
        if pattern.match(path):
            allowed |= methods
    return frozenset(allowed)
