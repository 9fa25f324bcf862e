"""DynamoDB capacity, computed by the service's published sizing rules.

Benchmarks and budgets count read units this way so the figures are exact and repeatable (moto,
which the local cloud and tests use, reports a flat 1.0 per call). Item size = attribute names +
values; a strongly consistent read costs 1 unit per 4 KB, a query sums its items before rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

READ_UNIT_BYTES = 4096


def attribute_size(value: Mapping[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        digits = str(raw).lstrip("-").replace(".", "").lstrip("0") or "0"
        return 1 + math.ceil(len(digits) / 2)
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: member}) for member in raw)
    if kind == "L":
        return 3 + sum(1 + attribute_size(member) for member in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_size(v) for k, v in raw.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def query_read_units(items: Iterable[Mapping[str, Mapping[str, Any]]], consistent: bool = True) -> float:
    """Read units of one Query page returning `items` (at least one unit, as DynamoDB charges)."""
    units = max(1, math.ceil(sum(item_size(i) for i in items) / READ_UNIT_BYTES))
    return float(units if consistent else units / 2)
