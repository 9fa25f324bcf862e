"""The org files under concurrent runs: S3 conditional writes on the moto server (requests applied
one at a time, as S3 orders writes to one key), ≥ 8 writers at once, nothing lost."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from tally.code import orgfiles
from tally.code.exports import ExportStore, org_key

WRITERS = 10


@pytest.fixture
def bucket(moto_server: str) -> tuple[str, str]:
    name = f"orgfiles-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=moto_server).create_bucket(Bucket=name)
    return moto_server, name


def store(endpoint: str, bucket: str, max_bytes: int = 1 << 20) -> ExportStore:
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
    return ExportStore(bucket, client, max_bytes)


def test_moto_refuses_a_stale_if_match_and_an_existing_if_none_match(bucket):
    files = store(*bucket)
    key = org_key("demo", "probe")
    assert files.write_if(key, {"v": 1}, None)
    assert not files.write_if(key, {"v": 2}, None)  # If-None-Match: * on an existing object
    _, etag = files.read(key)
    assert files.write_if(key, {"v": 3}, etag)
    assert not files.write_if(key, {"v": 4}, etag)  # If-Match: the etag read before the last write
    assert files.document(key) == {"v": 3}


def test_concurrent_runs_lose_no_row_of_the_org_files(bucket):
    endpoint, name = bucket

    def run(i: int) -> None:
        summary = {"totals": {"total_commits": i}, "languages": {"Python": i}, "contributors": []}
        orgfiles.set_codebase(store(endpoint, name), "demo", f"cb{i:02d}", {"name": f"repo {i}"}, summary,
                              sleep=lambda _s: None)

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(run, range(WRITERS)))
    files = store(endpoint, name)
    listed = files.document(org_key("demo", orgfiles.CODEBASES_LIST))["codebases"]
    assert listed == {f"cb{i:02d}": {"name": f"repo {i}"} for i in range(WRITERS)}
    summary = files.document(org_key("demo", orgfiles.ORG_SUMMARY))
    assert orgfiles.summarise(summary, listed)["total_commits"] == sum(range(WRITERS))

    with ThreadPoolExecutor(WRITERS) as pool:  # and removals racing each other lose nothing either
        list(pool.map(lambda i: orgfiles.remove_codebase(store(endpoint, name), "demo", f"cb{i:02d}",
                                                         sleep=lambda _s: None), range(0, WRITERS, 2)))
    assert sorted(files.document(org_key("demo", orgfiles.CODEBASES_LIST))["codebases"]) == [
        f"cb{i:02d}" for i in range(1, WRITERS, 2)]


def test_an_object_over_the_cap_is_refused_before_it_is_parsed(bucket):
    from tally.code.exports import ExportTooLarge

    files = store(*bucket, max_bytes=64)
    files.write("orgs/demo/analytics/big.json", {"rows": ["x" * 100]})
    with pytest.raises(ExportTooLarge) as refused:
        files.read("orgs/demo/analytics/big.json")
    assert refused.value.status == 503
