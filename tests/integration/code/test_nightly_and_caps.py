"""The nightly job re-mines every codebase and rebuilds the org files; an oversized export is a 503."""

from __future__ import annotations

import json

from tally.code.exports import codebase_key, org_key
from tally.code.model import Codebase
from tally.code.publish import publish
from tally.code.wiring import export_store
from tally_dev.template import ROOT
from tests.apigw import FakeContext
from tests.integration.code.conftest import register
from tests.integration.code.exports_sample import sample_exports
from tests.integration.handlers import load_handler_module


def test_the_nightly_job_starts_a_run_for_every_codebase_and_rebuilds_the_org_files(code):
    mined = Codebase.model_validate(register(code, name="mined"))
    fresh = register(code, "https://github.com/example/fresh", name="fresh")
    publish(export_store(), mined, sample_exports(mined.codebase_id, "mined"), salt="s")
    export_store().write(org_key("demo", "codebases_list"), {"org_id": "demo", "codebases": {"gone": {"name": "x"}}})
    event = json.loads((ROOT / "events" / "code_nightly.json").read_text())
    answer = load_handler_module("CodeNightlyFunction").lambda_handler(event, FakeContext())
    assert answer == {"started": 2, "orgs": 1}
    assert sorted(m["codebase_id"] for m in code.messages()) == sorted([mined.codebase_id, fresh["codebase_id"]])
    listed = export_store().document(org_key("demo", "codebases_list"))["codebases"]
    assert list(listed) == [mined.codebase_id]  # rebuilt from the exports: the stale row is gone


def test_an_export_over_the_read_cap_is_a_503_not_a_crash(code, monkeypatch):
    created = register(code)
    export_store().write(codebase_key("demo", created["codebase_id"], "overview"), {"rows": ["x" * 5000]})
    monkeypatch.setenv("MAX_EXPORT_BYTES", "1024")
    from tests.conftest import _clear_settings_caches

    _clear_settings_caches()
    answer = code.call("GET", f"/api/v1/codebases/{created['codebase_id']}/analytics/overview")
    assert (answer.status, answer.body["error"]["code"]) == (503, "service_unavailable")
    assert "Retry-After" in answer.headers or "retry-after" in answer.headers
