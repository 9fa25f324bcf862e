"""Generate `tally/web/enrich/data/matomo_bots.json` from Matomo device-detector's bot list.

The list is `regexes/bots.yml` of matomo-org/device-detector (LGPL-3.0-or-later), as shipped in the
PyPI package `device-detector` (a dev dependency: the 20 MB package stays out of the Lambda layer,
the ~60 KB of patterns go in). Only the regexes are kept, in the file's order. They are PCRE; the
one construct Python's `re` refuses is a negative look-behind whose alternatives differ in width
(`(?<!cu|Hu|power[ _])`), which is rewritten as a chain of look-behinds (`(?<!cu)(?<!Hu)…`) —
the same condition. Every pattern must then compile, or generation fails.

    python -m tally_dev.matomo_bots          # rewrite the data file
    python -m tally_dev.matomo_bots --check  # exit 1 when it differs from the installed package
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from tally.web.enrich.bot_patterns import group_alternatives
from tally_dev.template import ROOT

DATA_PATH = ROOT / "layers" / "tally" / "tally" / "web" / "enrich" / "data" / "matomo_bots.json"


def bots_yml() -> Path:
    import device_detector

    return Path(device_detector.__file__).parent / "regexes" / "upstream" / "bots.yml"


def split_lookbehinds(pattern: str) -> str:
    """`(?<!a|bc)` → `(?<!a)(?<!bc)`: not preceded by a nor bc, with each look-behind fixed-width."""
    out: list[str] = []
    start = 0
    while (opening := pattern.find("(?<!", start)) >= 0:
        out.append(pattern[start:opening])
        alternatives, start = group_alternatives(pattern, opening + 4)
        out.extend(f"(?<!{alternative})" for alternative in alternatives)
    out.append(pattern[start:])
    return "".join(out)


def upstream_entries(source: bytes) -> list[dict[str, Any]]:
    import yaml

    safe_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when built with it: 10x faster
    entries: list[dict[str, Any]] = yaml.load(source, Loader=safe_loader)
    return entries


def generate() -> dict[str, Any]:
    source = bots_yml().read_bytes()
    patterns = [split_lookbehinds(entry["regex"]) for entry in upstream_entries(source)]
    for pattern in patterns:
        re.compile(pattern, re.IGNORECASE)  # raises on anything Python cannot run
    return {
        "source": "matomo-org/device-detector regexes/bots.yml (LGPL-3.0-or-later), "
                  f"from the PyPI package device-detector {metadata.version('device-detector')}",
        "sha256": hashlib.sha256(source).hexdigest(),
        "patterns": patterns,
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=0, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render(generate())
    if "--check" in args:
        if DATA_PATH.read_text(encoding="utf-8") != text:
            print(f"{DATA_PATH.relative_to(ROOT)} is stale: run python -m tally_dev.matomo_bots", file=sys.stderr)
            return 1
        return 0
    DATA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DATA_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
