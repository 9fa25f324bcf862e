"""Functions run in their own long-lived worker processes, as in Lambda containers."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

import httpx

from tally_dev.tokens import LOCAL_JWT_SECRET


def echo(cloud, what="env", **extra):
    invocation = cloud.invoke("EchoFunction", {"what": what, **extra})
    assert invocation.ok, invocation.error
    return json.loads(invocation.result()["body"])


def test_a_worker_gets_its_functions_environment_and_the_local_overrides(sample_cloud, sample_app):
    seen = echo(sample_cloud)

    env = seen["env"]
    assert env["AWS_ENDPOINT_URL"] == sample_cloud.endpoint
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["AWS_REGION"] == "us-east-1"
    assert (env["TALLY_STAGE"], env["LOCAL_JWT_SECRET"]) == ("local", LOCAL_JWT_SECRET)
    assert env["POWERTOOLS_TRACE_DISABLED"] == "1"
    assert (env["GREETING"], env["ONLY_ECHO"]) == ("hello", "yes")  # Globals and the function's own
    assert env["ITEMS_TABLE"] == sample_cloud.tables["ItemsTable"]  # !Ref resolved to the local table
    assert env["TALLY_TEST_LEAK"] is None  # nothing of the caller's environment leaks in
    assert env["LOCAL_CLOCK_FILE"] == str(sample_cloud.clock.path)  # declared "": the local cloud's offset file
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert seen["cwd"] == str(sample_app / "echo")
    assert seen["path"][0] == str(sample_app / "echo")
    assert not any(p.endswith("localcloud") for p in seen["path"])


def test_the_context_object_is_a_lambda_context(sample_cloud):
    seen = echo(sample_cloud)

    assert 0 < seen["remaining_ms"] <= 2000
    assert seen["function_name"].endswith("EchoFunction")
    assert seen["memory"] == 256
    assert seen["request_id"]


def test_a_worker_reaches_the_template_tables_in_moto(sample_cloud):
    invocation = sample_cloud.invoke("EchoFunction", {"what": "table"})

    assert invocation.result() == {"table": sample_cloud.tables["ItemsTable"]}


def test_a_warm_worker_serves_the_next_invocation(sample_cloud):
    assert echo(sample_cloud)["pid"] == echo(sample_cloud)["pid"]


def test_a_handler_exception_is_a_lambda_error_and_the_worker_stays_warm(sample_cloud):
    before = echo(sample_cloud)["pid"]

    invocation = sample_cloud.invoke("EchoFunction", {"what": "crash"})

    assert not invocation.ok
    assert invocation.error["errorType"] == "RuntimeError"
    assert invocation.error["errorMessage"] == "boom"
    assert invocation.error["stackTrace"]
    assert echo(sample_cloud)["pid"] == before


def test_the_template_timeout_kills_the_worker_and_the_next_invocation_gets_a_fresh_one(sample_cloud):
    before = echo(sample_cloud)["pid"]

    invocation = sample_cloud.invoke("EchoFunction", {"what": "hang"})

    assert invocation.error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in invocation.error["errorMessage"]
    assert echo(sample_cloud)["pid"] != before


def test_a_worker_that_exits_is_replaced(sample_cloud):
    invocation = sample_cloud.invoke("EchoFunction", {"what": "exit"})

    assert invocation.error["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in invocation.error["errorMessage"]
    assert echo(sample_cloud)["pid"]


def test_an_import_error_is_reported_as_lambda_reports_it(sample_cloud):
    invocation = sample_cloud.invoke("BrokenFunction", {})

    assert invocation.error["errorType"] == "Runtime.ImportModuleError"
    assert "no_such_module_anywhere" in invocation.error["errorMessage"]


def test_concurrent_invocations_run_in_parallel_workers(sample_cloud, tmp_path):
    fifo = tmp_path / "meet"
    os.mkfifo(fifo)

    with ThreadPoolExecutor(max_workers=2) as pool:
        reader = pool.submit(sample_cloud.invoke, "EchoFunction", {"what": "meet", "fifo": str(fifo), "side": "read"})
        writer = pool.submit(sample_cloud.invoke, "EchoFunction", {"what": "meet", "fifo": str(fifo), "side": "write"})
        results = [json.loads(f.result().result()["body"]) for f in (reader, writer)]

    assert results[0]["pid"] != results[1]["pid"]


def test_over_http_the_authorizer_context_reaches_the_handler(sample_cloud):
    response = httpx.get(f"{sample_cloud.url}/echo/env", headers={"Authorization": "alice"})

    assert response.status_code == 200
    assert response.json()["authorizer"] == {"lambda": {"who": "alice"}}


def test_over_http_api_gateway_answers_for_missing_identity_deny_and_failures(sample_cloud):
    url = f"{sample_cloud.url}/echo"
    answers = {
        "no identity": httpx.get(f"{url}/env"),
        "deny": httpx.get(f"{url}/env", headers={"Authorization": "deny"}),
        "authorizer crash": httpx.get(f"{url}/env", headers={"Authorization": "crash"}),
        "handler crash": httpx.get(f"{url}/crash", headers={"Authorization": "alice"}),
        "timeout": httpx.get(f"{url}/hang", headers={"Authorization": "alice"}, timeout=30),
        "no route": httpx.get(f"{sample_cloud.url}/nowhere", headers={"Authorization": "alice"}),
    }

    assert {name: (r.status_code, r.json()) for name, r in answers.items()} == {
        "no identity": (401, {"message": "Unauthorized"}),
        "deny": (403, {"message": "Forbidden"}),
        "authorizer crash": (500, {"message": "Internal Server Error"}),
        "handler crash": (500, {"message": "Internal Server Error"}),
        "timeout": (500, {"message": "Internal Server Error"}),
        "no route": (404, {"message": "Not Found"}),
    }
    assert all(r.headers["apigw-requestid"] for r in answers.values())
