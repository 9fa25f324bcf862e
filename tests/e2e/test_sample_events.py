"""Every sample in events/ run against a local cloud with the demo loaded, as `make invoke` runs it: each
addresses demo objects that exist (the fixed ids of tally_dev/demo_ids.py) and answers 2xx, or the
answer documented in EXPECTED (and in the README)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tally_dev.cli import verdict
from tally_dev.demo import DemoData, load_demo_data
from tally_dev.demo_ids import DEMO_CODEBASE_ID, DEMO_EXPORT_ID, DEMO_ORG, DEMO_SITE, RIVAL_SITE, user_id
from tally_dev.localcloud import LocalCloud
from tally_dev.template import ROOT, functions

SAMPLES = sorted((ROOT / "events").glob("*.json"))
#: Samples whose documented answer is not a 2xx: the fallback route answers every unknown path 404.
EXPECTED = {"fallback": 404}


def logical_id(sample: Path) -> str:
    """events/<dir>.json is the sample of the function whose code lives in functions/<dir>."""
    [found] = [lid for lid, spec in functions().items() if spec.code_dir.name == sample.stem]
    return found


@pytest.fixture(scope="module")
def demo_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalCloud, DemoData]]:
    """`make invoke`'s own cloud: the demo data, no HTTP server; no pollers, so what a sample did stays
    as it left it (a stream or queue delivery would be another function's work)."""
    log_path = tmp_path_factory.mktemp("samples") / "cloud.log"
    with log_path.open("w") as log, LocalCloud(http=False, log=log, event_sources=False) as cloud:
        yield cloud, load_demo_data(cloud)


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_each_sample_answers_2xx_or_its_documented_answer_on_the_demo(demo_cloud, sample):
    cloud, _ = demo_cloud

    invocation = cloud.invoke(logical_id(sample), json.loads(sample.read_text()))

    result = invocation.result()
    if sample.stem in EXPECTED:
        assert invocation.ok and result["statusCode"] == EXPECTED[sample.stem], result
        assert verdict(result, invocation.ok) == f"answered {EXPECTED[sample.stem]}"
    else:
        assert verdict(result, invocation.ok) is None, result


def test_the_demo_has_the_objects_the_samples_address(demo_cloud):
    _, demo = demo_cloud
    assert demo.objects is not None
    assert demo.objects.site_ids == {"demo": DEMO_SITE.site_id, "rival": RIVAL_SITE.site_id}
    assert (demo.objects.codebase_id, demo.objects.export_id) == (DEMO_CODEBASE_ID, DEMO_EXPORT_ID)
    text = "\n".join(p.read_text() for p in SAMPLES)
    for fixed in (DEMO_SITE.site_id, DEMO_CODEBASE_ID, DEMO_EXPORT_ID, user_id(DEMO_ORG, "org_admin")):
        assert fixed in text


def test_the_stats_sample_reads_the_demo_site(demo_cloud):
    cloud, _ = demo_cloud
    event = json.loads((ROOT / "events" / "stats.json").read_text())

    answer = cloud.invoke("StatsFunction", event).result()

    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["site_id"] == DEMO_SITE.site_id


def test_the_export_job_sample_builds_the_demo_export(demo_cloud):
    cloud, _ = demo_cloud
    key = {"pk": {"S": f"{DEMO_ORG}#export#{DEMO_EXPORT_ID}"}}

    def status() -> str:
        items = cloud.dynamodb.query(TableName=cloud.tables["ExportsTable"], KeyConditionExpression="pk = :pk",
                                     ExpressionAttributeValues={":pk": key["pk"]})["Items"]
        return str(items[0]["status"]["S"])

    cloud.invoke("ExportJobFunction", json.loads((ROOT / "events" / "export_job.json").read_text()))

    assert status() in ("running", "ready")  # it was `pending`: the job worked on it


def test_the_codebases_sample_makes_the_demo_viewer_the_demo_codebases_admin(demo_cloud):
    cloud, _ = demo_cloud

    answer = cloud.invoke("CodebasesFunction", json.loads((ROOT / "events" / "codebases.json").read_text())).result()

    assert answer["statusCode"] == 200, answer
    grant = json.loads(answer["body"])
    assert (grant["codebase_id"], grant["user_id"]) == (DEMO_CODEBASE_ID, user_id(DEMO_ORG, "viewer"))
