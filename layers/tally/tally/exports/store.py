"""Where exports live: their items in the exports table (pynamodb), their files in the exports bucket.

S3 keys start with the org id: `<org>/exports/<export_id>/parts/<day>.json` (one day's rows, written
by the job before it moves its checkpoint past the day) and `<org>/exports/<export_id>/<name>.zip`
(the archive, written once every day is). Both keys are fixed by the export and the day, so a
retried or duplicated run writes the same objects again, never a second archive.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from tally.exports.model import Export, ExportStatus
from tally.platform.aws import s3_client
from tally.platform.entities import bind

if TYPE_CHECKING:
    from tally.exports.items import ExportItem

#: The most bytes a day's part may have when the archive is assembled (checked before reading).
MAX_PART_BYTES = 8 * 1024 * 1024


class ExportStore(Protocol):
    def create(self, export: Export) -> None: ...
    def get(self, org_id: str, export_id: str) -> Export | None: ...
    def advance(self, export: Export, next_day: date) -> bool: ...
    def finish(self, export: Export, key: str, size: int) -> bool: ...
    def count_attempt(self, export: Export) -> int: ...
    def fail(self, export: Export) -> None: ...


class DynamoExportStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def items(self) -> type[ExportItem]:
        from tally.exports.items import ExportItem

        return bind(ExportItem, self.table_name)

    def _item(self, export: Export) -> ExportItem:
        from tally.exports.items import SK, export_pk

        return self.items(export_pk(export.org_id, export.export_id), SK)

    def create(self, export: Export) -> None:
        items = self.items
        items.of(export).save(condition=items.pk.does_not_exist())

    def get(self, org_id: str, export_id: str) -> Export | None:
        from tally.exports.items import SK, export_pk

        items = self.items
        try:
            return items.get(export_pk(org_id, export_id), SK, consistent_read=True).export()
        except items.DoesNotExist:
            return None

    def _update(self, export: Export, actions: list[Any], condition: Any) -> bool:
        from pynamodb.exceptions import UpdateError

        try:
            self._item(export).update(actions=actions, condition=condition)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def advance(self, export: Export, next_day: date) -> bool:
        """Move the checkpoint from where `export` saw it to `next_day`; False if another run moved it."""
        items = self.items
        return self._update(export, [items.next_day.set(next_day.isoformat()),
                                     items.status.set(ExportStatus.running.value)],
                            (items.next_day == export.next_day.isoformat())
                            & (items.status != ExportStatus.failed.value))

    def finish(self, export: Export, key: str, size: int) -> bool:
        items = self.items
        return self._update(export, [items.status.set(ExportStatus.ready.value), items.size.set(size),
                                     items.s3_key.set(key)],
                            (items.next_day == (export.last + timedelta(days=1)).isoformat())
                            & (items.status != ExportStatus.failed.value))

    def count_attempt(self, export: Export) -> int:
        item = self._item(export)
        item.update(actions=[self.items.attempts.add(1)])
        return int(item.attempts)

    def fail(self, export: Export) -> None:
        items = self.items
        self._update(export, [items.status.set(ExportStatus.failed.value)],
                     items.status != ExportStatus.ready.value)


class ExportFiles(Protocol):
    def put_part(self, export: Export, day: date, rows: dict[str, list[list[Any]]]) -> None: ...
    def part(self, export: Export, day: date) -> dict[str, list[list[Any]]]: ...
    def put_archive(self, export: Export, body: bytes) -> str: ...
    def download_url(self, export: Export, ttl_s: int) -> str: ...


def _prefix(export: Export) -> str:
    return f"{export.org_id}/exports/{export.export_id}"


def part_key(export: Export, day: date) -> str:
    return f"{_prefix(export)}/parts/{day.isoformat()}.json"


def archive_key(export: Export) -> str:
    return f"{_prefix(export)}/{export.archive_name}"


class S3ExportFiles:
    def __init__(self, bucket: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def put_part(self, export: Export, day: date, rows: dict[str, list[list[Any]]]) -> None:
        body = json.dumps(rows, separators=(",", ":")).encode()
        self.client.put_object(Bucket=self.bucket, Key=part_key(export, day), Body=body,
                               ContentType="application/json")

    def part(self, export: Export, day: date) -> dict[str, list[list[Any]]]:
        key = part_key(export, day)
        size = self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        if size > MAX_PART_BYTES:
            raise ValueError(f"{key} has {size} bytes, over {MAX_PART_BYTES}")
        loaded: dict[str, list[list[Any]]] = json.loads(
            self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        return loaded

    def put_archive(self, export: Export, body: bytes) -> str:
        key = archive_key(export)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/zip",
                               ContentDisposition=f'attachment; filename="{export.archive_name}"')
        return key

    def download_url(self, export: Export, ttl_s: int) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": export.key or archive_key(export)}, ExpiresIn=ttl_s)
        return url
