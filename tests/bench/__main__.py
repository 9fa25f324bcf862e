"""`make bench`: measure docs/design.md's budgets, print a table, write bench/results.json.

Every figure is a count (work units, read units, items) or a ratio against a baseline measured in
the same run on the same machine, never a bare stopwatch reading compared with a constant.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tally_dev import moto_speedups
from tests.bench import cold_imports, failure_counts

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results.json"
OPTIONAL_SECTIONS = ["tests.bench.public_stats_bench", "tests.bench.enrich_bench", "tests.bench.bots",
                     "tests.bench.ingest_cpu", "tests.bench.web_write", "tests.bench.web_read", "tests.bench.burst",
                     "tests.bench.usage_bench", "tests.bench.dev_ready", "tests.bench.code_mining",
                     "tests.bench.code_runs"]


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "machine": platform.machine(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "processor": platform.processor() or None}


def commit() -> str:
    result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def verdict(figure: dict[str, Any]) -> str:
    ok = figure.get("ok")
    return "-" if ok is None else ("ok" if ok else "OVER BUDGET")


def main() -> int:
    moto_speedups.install()
    figures: list[dict[str, Any]] = []
    for section in (cold_imports, failure_counts):
        figures.extend(section.run())
    for name in OPTIONAL_SECTIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        figures.extend(module.run())
    print(f"{'figure':58} {'value':>14} {'unit':18} {'budget':14} {'verdict'}")
    for f in figures:
        value = f"{f['value']:.3f}" if isinstance(f["value"], float) else str(f["value"])
        print(f"{f['name']:58} {value:>14} {f.get('unit', ''):18} {f.get('budget', '')!s:14} {verdict(f)}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"generated_at": datetime.now(UTC).isoformat(), "commit": commit(),
                                   "machine": machine(), "figures": figures}, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 1 if any(f.get("ok") is False for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
