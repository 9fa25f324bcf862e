"""The sites API through its handler: real v2 events, the template's tables in moto."""

from __future__ import annotations

import json

import pytest

from tally.sites.wiring import site_store
from tally_dev.template import ROOT
from tests.apigw import ANONYMOUS, FakeContext
from tests.integration.handlers import load_handler_module
from tests.integration.sites.conftest import create, read


def test_an_org_admin_adds_a_site_and_gets_201_with_its_location(call):
    answer = call("POST", body={"domain": "https://WWW.Example.com/blog", "timezone": "europe/berlin",
                                "retention_days": 90})
    assert answer.status == 201
    site = answer.body
    assert answer.headers["Location"] == f"/api/v1/sites/{site['site_id']}"
    assert {k: site[k] for k in ("org_id", "domain", "timezone", "retention_days", "status")} == {
        "org_id": "demo", "domain": "example.com", "timezone": "Europe/Berlin", "retention_days": 90,
        "status": "active"}
    assert site["created_at"] == site["updated_at"]
    assert call("GET", site["site_id"], role="viewer").body == read(site)


def test_defaults_are_utc_and_730_days(call):
    site = create(call, "defaults.example")
    assert (site["timezone"], site["retention_days"]) == ("UTC", 730)


@pytest.mark.parametrize(("body", "field"), [
    ({"domain": "localhost"}, "domain"),
    ({"domain": "exa mple.com"}, "domain"),
    ({"domain": "192.0.2.1"}, "domain"),
    ({"domain": "example.com", "timezone": "Mars/Base"}, "timezone"),
    ({"domain": "example.com", "retention_days": 0}, "retention_days"),
    ({"domain": "example.com", "retention_days": 3651}, "retention_days"),
    ({"domain": "example.com", "retention_days": "forever"}, "retention_days"),
    ({"domain": "example.com", "org_id": "rival"}, "org_id"),
    ({}, "domain"),
])
def test_invalid_values_are_422_naming_the_field(call, body, field):
    answer = call("POST", body=body)
    assert answer.status == 422, answer.body
    assert answer.body["error"]["code"] == "invalid_input"
    assert field in [d["field"] for d in answer.body["error"]["details"]]


def test_a_body_that_is_not_json_is_400(call):
    answer = call("POST", body="{not json")
    assert (answer.status, answer.body["error"]["code"]) == (400, "malformed_request")


def test_a_taken_domain_is_409_in_any_spelling_and_across_orgs_without_naming_the_holder(call):
    mine = create(call, "taken.example")
    same_org = call("POST", body={"domain": "https://www.TAKEN.example/"})
    assert same_org.status == 409
    assert same_org.body["error"]["details"][0]["site_id"] == mine["site_id"]  # a retried create finds its site
    other_org = call("POST", org="rival", body={"domain": "taken.example"})
    assert (other_org.status, other_org.body["error"]["code"]) == (409, "conflict")
    assert "site_id" not in other_org.body["error"]["details"][0]
    assert "demo" not in other_org.body["error"]["message"]
    assert [s["domain"] for s in call("GET", org="rival", role="viewer").body["sites"]] == []


def test_the_list_holds_only_the_callers_sites_oldest_first(call):
    ours = [create(call, f"s{n}.ours.example")["site_id"] for n in range(3)]
    create(call, "theirs.example", org="rival")
    page = call("GET", role="viewer").body
    assert [s["site_id"] for s in page["sites"]] == ours
    assert page["next_cursor"] is None


def test_pagination_walks_every_site_once_across_several_pages(call):
    made = [create(call, f"p{n}.example")["site_id"] for n in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        answer = call("GET", role="viewer", query=query)
        assert answer.status == 200 and len(answer.body["sites"]) <= 3
        seen += [s["site_id"] for s in answer.body["sites"]]
        pages += 1
        cursor = answer.body["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (made, 3)


def test_a_full_last_page_says_there_is_no_more(call):
    for n in range(4):
        create(call, f"f{n}.example")
    first = call("GET", query={"limit": "2"}).body
    second = call("GET", query={"limit": "2", "cursor": first["next_cursor"]}).body
    assert len(second["sites"]) == 2 and second["next_cursor"] is None


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"cursor": "forged"}])
def test_bad_list_parameters_are_422(call, query):
    answer = call("GET", query=query)
    assert (answer.status, answer.body["error"]["code"]) == (422, "invalid_input")


def test_a_cursor_cannot_reach_into_another_org(call):
    for n in range(3):
        create(call, f"r{n}.example", org="rival")
    rival_cursor = call("GET", org="rival", query={"limit": "1"}).body["next_cursor"]
    answer = call("GET", org="demo", query={"cursor": rival_cursor})
    assert answer.status == 200 and answer.body["sites"] == []


def test_patch_changes_time_zone_and_retention(call):
    site = create(call, "patch.example")
    answer = call("PATCH", site["site_id"], body={"timezone": "America/Santiago", "retention_days": 400})
    assert answer.status == 200
    assert (answer.body["timezone"], answer.body["retention_days"], answer.body["domain"]) == (
        "America/Santiago", 400, "patch.example")
    assert answer.body["updated_at"] >= site["updated_at"]
    assert call("GET", site["site_id"]).body == answer.body


def test_patch_moves_the_domain_claim_atomically(call):
    site = create(call, "old.example")
    moved = call("PATCH", site["site_id"], body={"domain": "WWW.New.example"})
    assert (moved.status, moved.body["domain"]) == (200, "new.example")
    store = site_store()
    assert store.claim("old.example") is None
    assert store.claim("new.example").site_id == site["site_id"]
    assert create(call, "old.example", org="rival")["domain"] == "old.example"  # the old domain is free
    assert call("POST", org="rival", body={"domain": "new.example"}).status == 409


def test_patch_to_a_taken_domain_is_409_and_changes_nothing(call):
    site = create(call, "mine.example")
    create(call, "theirs.example", org="rival")
    answer = call("PATCH", site["site_id"], body={"domain": "theirs.example", "timezone": "Asia/Tokyo"})
    assert answer.status == 409
    after = call("GET", site["site_id"]).body
    assert (after["domain"], after["timezone"]) == ("mine.example", "UTC")
    assert site_store().claim("mine.example").site_id == site["site_id"]


@pytest.mark.parametrize(("body", "rule"), [
    ({}, "at least one"),
    ({"timezone": None}, "cannot be null"),
    ({"status": "deleting"}, "Extra inputs"),
    ({"retention_days": -1}, "greater than or equal to 1"),
])
def test_bad_patches_are_422(call, body, rule):
    site = create(call, "bad-patch.example")
    answer = call("PATCH", site["site_id"], body=body)
    assert answer.status == 422
    assert rule in answer.body["error"]["message"]


def test_patch_with_no_actual_change_returns_the_site_unchanged(call):
    site = create(call, "same.example")
    assert call("PATCH", site["site_id"], body={"domain": "www.same.example", "timezone": "UTC"}).body == read(site)


def test_delete_answers_202_marks_the_site_deleting_and_keeps_the_domain_claimed(call):
    site = create(call, "bye.example")
    answer = call("DELETE", site["site_id"])
    assert (answer.status, answer.body["status"]) == (202, "deleting")
    assert call("GET", site["site_id"], role="viewer").body["status"] == "deleting"
    assert call("DELETE", site["site_id"]).status == 202  # idempotent
    assert call("POST", org="rival", body={"domain": "bye.example"}).status == 409
    assert call("PATCH", site["site_id"], body={"retention_days": 5}).status == 409


def test_another_orgs_site_is_404_for_every_method(call):
    site = create(call, "private.example")
    for method, body in (("GET", None), ("PATCH", {"retention_days": 1}), ("DELETE", None)):
        answer = call(method, site["site_id"], org="rival", body=body)
        assert (answer.status, answer.body["error"]["code"]) == (404, "not_found"), method
    assert call("GET", site["site_id"]).body == read(site)  # untouched


@pytest.mark.parametrize("site_id", ["nope", "0" * 26, "ORG%23demo"])
def test_unknown_ids_are_404(call, site_id):
    assert call("GET", site_id).status == 404


def test_a_viewer_reads_but_cannot_write(call):
    site = create(call, "readonly.example")
    assert call("GET", role="viewer").status == 200
    for method, site_id, body in (("POST", None, {"domain": "v.example"}),
                                  ("PATCH", site["site_id"], {"retention_days": 1}),
                                  ("DELETE", site["site_id"], None)):
        answer = call(method, site_id, role="viewer", body=body)
        assert (answer.status, answer.body["error"]["code"]) == (403, "forbidden"), method
    assert call("GET", site["site_id"]).body == read(site)


def test_a_viewer_of_another_org_gets_403_not_a_hint_of_existence(call):
    site = create(call, "hint.example")
    assert call("DELETE", site["site_id"], org="rival", role="viewer").status == 403
    assert call("DELETE", "0" * 26, org="rival", role="viewer").status == 403


def test_without_credentials_every_route_is_401(call):
    for method, site_id in (("GET", None), ("POST", None), ("GET", "x"), ("PATCH", "x"), ("DELETE", "x")):
        answer = call(method, site_id, claims=ANONYMOUS, body={"domain": "a.example"} if method != "GET" else None)
        assert answer.status == 401, (method, site_id)


def test_the_sample_event_creates_a_site(aws):
    event = json.loads((ROOT / "events/sites.json").read_text())
    response = load_handler_module("SitesFunction").lambda_handler(event, FakeContext())
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["domain"] == "example.com"
