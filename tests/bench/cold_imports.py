"""Each handler's cold import (CPU time, fresh interpreter) as a ratio to a bare `import boto3`."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from tally_dev.template import ROOT, functions

ROUNDS = 7
BUDGET = 1.5
LAYER = ROOT / "layers" / "tally"
PROBE = ("import time, importlib\nstart = time.process_time()\nimportlib.import_module({module!r})\n"
         "print(time.process_time() - start)\n")


def import_cpu_s(module: str, path: list[Path]) -> float:
    # Bytecode caches are allowed (Lambda's own runtime ships compiled modules too); one warm-up
    # import per module happens in the first round, which the median discounts.
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(str(p) for p in path)}
    out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], env=env, capture_output=True,
                         text=True, check=True, cwd=path[0] if path else ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def layer_size_mb() -> float | None:
    layer = ROOT / ".aws-sam" / "build" / "TallyLayer"
    if not layer.exists():
        return None
    return sum(p.stat().st_size for p in layer.rglob("*") if p.is_file()) / 1_000_000


def run() -> list[dict[str, Any]]:
    specs = functions()
    samples: dict[str, list[float]] = {"boto3": []}
    for _ in range(ROUNDS):  # interleaved, so machine noise hits baseline and handlers alike
        samples["boto3"].append(import_cpu_s("boto3", []))
        for lid, spec in specs.items():
            samples.setdefault(lid, []).append(import_cpu_s(spec.module, [spec.code_dir, LAYER]))
    baseline = statistics.median(samples["boto3"])
    figures: list[dict[str, Any]] = [{"name": "cold_import.boto3_baseline", "value": round(baseline * 1000, 1),
                                      "unit": "ms CPU", "budget": "", "ok": None}]
    for lid in specs:
        ratio = statistics.median(samples[lid]) / baseline
        figures.append({"name": f"cold_import.{lid}", "value": round(ratio, 3), "unit": "x import boto3",
                        "budget": f"<= {BUDGET}", "baseline": "import boto3, same run", "ok": ratio <= BUDGET})
    size = layer_size_mb()
    if size is not None:
        figures.append({"name": "layer.unzipped_size", "value": round(size, 1), "unit": "MB",
                        "budget": "<= 50", "ok": size <= 50})
    return figures
