"""One moto server in a process of its own, as released (`stock`) or with `tally_dev.moto_speedups`
(`patched`), for the differential test to drive both with the same requests.

Run as `python -m tests.integration.localcloud.moto_variant stock|patched`: prints one JSON line
{"port", "patched"} (every speedup installed: the moto attributes the speedups module replaced),
serves until its stdin closes, then prints {"calls", "patched"}: how often each of those was called,
so the test knows its operations reached every speedup, including ones added after it was written,
and what is patched once every request has been served (nothing, in the stock server).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections import Counter
from types import FunctionType, ModuleType
from typing import Any

from tally_dev import moto_speedups

#: Modules of this project: what they import from the speedups module is not a patch of moto.
OWN_PACKAGES = {"tally", "tally_dev", "tests", "conftest", "__main__"}


def patched_attributes() -> dict[str, tuple[Any, str]]:
    """Every attribute of a loaded module or class (of moto or anything else outside this project)
    whose value the speedups module defined: what `install()` replaced, by its dotted name."""
    found: dict[str, tuple[Any, str]] = {}
    for name, module in list(sys.modules.items()):
        if not isinstance(module, ModuleType) or name.split(".")[0] in OWN_PACKAGES:
            continue
        owners: list[tuple[str, Any]] = [(name, module)]
        owners += [(f"{name}.{key}", value) for key, value in list(vars(module).items())
                   if isinstance(value, type) and value.__module__ == name]
        for owner_name, owner in owners:
            for attr, value in list(vars(owner).items()):
                if _defined_by_speedups(value):
                    found[f"{owner_name}.{attr}"] = (owner, attr)
    return found


def _defined_by_speedups(value: Any) -> bool:
    # functions, methods and classes only: other objects may answer any attribute (lazy modules)
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    return isinstance(value, FunctionType | type) and value.__module__ == moto_speedups.__name__


def count_calls(patched: dict[str, tuple[Any, str]]) -> Counter[str]:
    """Wrap each patched attribute so its calls are counted (the speedup itself still answers)."""
    calls: Counter[str] = Counter()
    for name, (owner, attr) in patched.items():
        raw = vars(owner)[attr]
        func = getattr(raw, "__func__", raw)
        if not isinstance(func, FunctionType):
            raise TypeError(f"{name} is a {type(raw).__name__}: teach moto_variant to count its uses")
        counted = _counting(func, name, calls)
        setattr(owner, attr, type(raw)(counted) if raw is not func else counted)  # type: ignore[call-arg]
        calls[name] += 0
    return calls


def _counting(func: FunctionType, name: str, calls: Counter[str]) -> Any:
    @functools.wraps(func)
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return func(*args, **kwargs)

    return counted


def main(variant: str) -> None:
    from tally_dev.motoserver import MotoServer

    if variant == "patched":
        moto_speedups.install()
    calls = count_calls(patched_attributes())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = MotoServer().start()
    print(json.dumps({"port": server.port, "patched": sorted(calls)}), flush=True)
    sys.stdin.read()  # until the test closes our stdin
    server.stop()
    print(json.dumps({"calls": dict(calls), "patched": sorted(patched_attributes())}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
