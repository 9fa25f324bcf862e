"""A codebase's exports and the org files in S3, behind a small seam.

Keys: `orgs/{org_id}/analytics/{codebase_id}/{name}.json` per codebase (overview, activity,
ownership, branches, status; a run's checkpoint and cache under `_run/`), and
`orgs/{org_id}/analytics/{name}.json` for the org files. Every read looks at the object's size
before reading its body, and refuses one over the cap (503) rather than parse it. Shared files are
written with S3's conditional writes: `If-None-Match: *` creates, `If-Match: <etag>` replaces only
what was read; a refusal (412, or 409 for a concurrent conditional write) is `False`, for the
caller to read again and retry. `requests` counts the S3 calls made (for `make bench`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tally.platform.errors import ServiceUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

EXPORTS = ("overview", "activity", "ownership", "branches")
STATUS = "status"
CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409", "NoSuchKey", "404"})


class ExportTooLarge(ServiceUnavailable):
    def __init__(self, key: str, size: int, cap: int) -> None:
        super().__init__(f"an analytics file is larger than this API reads ({size} > {cap} bytes); "
                         "it is being looked into", retry_after_s=300)
        self.key = key


def codebase_prefix(org_id: str, codebase_id: str) -> str:
    return f"orgs/{org_id}/analytics/{codebase_id}/"


def codebase_key(org_id: str, codebase_id: str, name: str) -> str:
    return f"{codebase_prefix(org_id, codebase_id)}{name}.json"


def org_key(org_id: str, name: str) -> str:
    return f"orgs/{org_id}/analytics/{name}.json"


class ExportStore:
    def __init__(self, bucket: str, client: S3Client, max_bytes: int) -> None:
        self.bucket = bucket
        self.client = client
        self.max_bytes = max_bytes
        self.requests = 0

    def read(self, key: str) -> tuple[Any, str] | None:
        """The JSON document at `key` and its ETag, or None when there is none (size checked first)."""
        self.requests += 1
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return None
        body = response["Body"]
        try:
            size = int(response.get("ContentLength", 0))
            if size > self.max_bytes:
                raise ExportTooLarge(key, size, self.max_bytes)
            data = body.read(self.max_bytes + 1)
            if len(data) > self.max_bytes:
                raise ExportTooLarge(key, len(data), self.max_bytes)
        finally:
            body.close()
        return json.loads(data), str(response["ETag"])

    def document(self, key: str) -> Any | None:
        found = self.read(key)
        return found[0] if found else None

    def write(self, key: str, document: Any) -> None:
        self.requests += 1
        self.client.put_object(Bucket=self.bucket, Key=key, Body=_encode(document),
                               ContentType="application/json")

    def write_if(self, key: str, document: Any, etag: str | None) -> bool:
        """Write only if the object is still as read (`etag`), or (None) does not exist yet."""
        from botocore.exceptions import ClientError

        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        self.requests += 1
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=_encode(document),
                                   ContentType="application/json", **condition)  # type: ignore[arg-type]
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code in CONFLICT_CODES or status in CONFLICT_CODES:
                return False
            raise
        return True

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix`; how many were deleted."""
        deleted = 0
        token: dict[str, str] = {}
        while True:
            self.requests += 1
            page = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix, **token)  # type: ignore[arg-type]
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                self.requests += 1
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})  # type: ignore[typeddict-item]
                deleted += len(keys)
            if not page.get("IsTruncated"):
                return deleted
            token = {"ContinuationToken": page["NextContinuationToken"]}


def _encode(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
