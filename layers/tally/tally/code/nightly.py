"""The nightly job: start a run for every codebase, and rebuild each org's files from its exports
(a row for every codebase with an overview, none for a removed one), within the job's time."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from tally.code import orgfiles
from tally.code.exports import ExportStore, codebase_key
from tally.code.queue import MiningQueue
from tally.code.service import enqueue_run
from tally.code.store import DynamoCodeStore

RESERVE_S = 15.0


def remine_everything(store: DynamoCodeStore, exports: ExportStore, queue: MiningQueue, *, salt: str, lease_s: int,
                      seconds_left: Callable[[], float]) -> dict[str, int]:
    started = orgs = 0
    for org_id, ids in groupby(sorted(store.all_codebases()), key=lambda pair: pair[0]):
        if seconds_left() < RESERVE_S:
            break
        codebase_ids = [codebase_id for _, codebase_id in ids]
        rebuild_org_files(store, exports, org_id, salt)
        orgs += 1
        for codebase_id in codebase_ids:
            started += enqueue_run(store, exports, queue, org_id, codebase_id, lease_s=lease_s).started
    return {"started": started, "orgs": orgs}


def rebuild_org_files(store: DynamoCodeStore, exports: ExportStore, org_id: str, salt: str) -> None:
    codebases = store.list(org_id)
    rows: dict[str, orgfiles.Document] = {}
    pieces: dict[str, orgfiles.Document] = {}
    for codebase in codebases:
        overview = exports.document(codebase_key(org_id, codebase.codebase_id, "overview"))
        ownership = exports.document(codebase_key(org_id, codebase.codebase_id, "ownership"))
        if overview is None or ownership is None:
            continue
        rows[codebase.codebase_id] = orgfiles.list_row(codebase.name, overview)
        pieces[codebase.codebase_id] = orgfiles.summary_piece(overview, ownership, salt)
    for name, content in ((orgfiles.CODEBASES_LIST, rows), (orgfiles.ORG_SUMMARY, pieces)):
        orgfiles.update(exports, org_id, name, _replace_rows(content))


def _replace_rows(rows: orgfiles.Document) -> Callable[[orgfiles.Document], orgfiles.Document]:
    return lambda document: {**document, "codebases": rows}
