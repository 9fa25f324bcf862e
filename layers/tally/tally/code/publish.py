"""Publishing a finished mine: the four exports under the codebase's prefix, then its rows in the
org files (conditional writes). The status is written last, by the run, so a reader that sees
`succeeded` sees the exports of that run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tally.code import orgfiles
from tally.code.exports import EXPORTS, ExportStore, codebase_key
from tally.code.model import Codebase


def publish(store: ExportStore, codebase: Codebase, exports: Mapping[str, Any], salt: str) -> None:
    missing = [name for name in EXPORTS if name not in exports]
    if missing:
        raise ValueError(f"a finished mine lacks {missing}")
    for name in EXPORTS:
        store.write(codebase_key(codebase.org_id, codebase.codebase_id, name), exports[name])
    overview = exports["overview"]
    orgfiles.set_codebase(store, codebase.org_id, codebase.codebase_id, orgfiles.list_row(codebase.name, overview),
                          orgfiles.summary_piece(overview, exports["ownership"], salt))
