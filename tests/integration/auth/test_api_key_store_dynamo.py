"""API keys in the identity table through the pynamodb model: issued once, found by hash, refused when revoked."""

from __future__ import annotations

import boto3
import pytest

from tally.auth.api_keys import ApiKeyVerifier, DynamoApiKeyStore, hash_api_key, issue_api_key
from tally.auth.identity import CredentialError
from tally.platform.caller import Role


def test_an_issued_key_is_stored_only_as_its_hash_and_verifies(aws):
    store = DynamoApiKeyStore(aws["IdentityTable"])
    key = issue_api_key(store, key_id="k1", org_id="demo", user_id="u1", roles=["org_admin"])

    identity = ApiKeyVerifier(store).verify(key)
    assert (identity.org_id, identity.user_id, identity.key_id) == ("demo", "u1", "k1")
    assert Role.org_admin in identity.roles
    stored = boto3.client("dynamodb").scan(TableName=aws["IdentityTable"])["Items"]
    assert sorted((i["pk"]["S"], i["sk"]["S"]) for i in stored) == [
        (f"apikey#{hash_api_key(key)}", "apikey"), ("org#demo#apikeys", "apikey#k1")]  # the key, its listing
    assert key not in repr(stored)


def test_a_revoked_or_unknown_key_is_refused(aws):
    store = DynamoApiKeyStore(aws["IdentityTable"])
    key = issue_api_key(store, key_id="k2", org_id="demo", user_id="u1", roles=["viewer"])
    boto3.client("dynamodb").update_item(
        TableName=aws["IdentityTable"], Key={"pk": {"S": f"apikey#{hash_api_key(key)}"}, "sk": {"S": "apikey"}},
        UpdateExpression="SET revoked = :t", ExpressionAttributeValues={":t": {"BOOL": True}})
    with pytest.raises(CredentialError, match="revoked"):
        ApiKeyVerifier(store).verify(key)
    with pytest.raises(CredentialError, match="unknown"):
        ApiKeyVerifier(store).verify("tly_" + "x" * 43)
