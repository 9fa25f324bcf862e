"""Salts in DynamoDB, as `tally.web.visitors.items.SaltItem` (bound to the salts table on first use)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from tally.platform.entities import bind
from tally.web.visitors.salts import DailySalt

if TYPE_CHECKING:
    from tally.web.visitors.items import SaltItem


class DynamoSaltTable:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @cached_property
    def salts(self) -> type[SaltItem]:
        from tally.web.visitors.items import SaltItem

        return bind(SaltItem, self.table_name)

    def read(self, days: Sequence[date]) -> dict[date, bytes]:
        from tally.web.visitors.items import SALT_PK

        if not days:
            return {}
        salts = self.salts
        wanted = set(days)
        found: dict[date, bytes] = {}
        for item in salts.query(SALT_PK, salts.sk.between(min(days).isoformat(), max(days).isoformat()),
                                consistent_read=True):
            day = date.fromisoformat(item.sk)
            if day in wanted and item.salt is not None:
                found[day] = bytes(item.salt)
        return found

    def create(self, salt: DailySalt) -> bool:
        from pynamodb.exceptions import PutError

        from tally.web.visitors.items import SALT_PK

        salts = self.salts
        item = salts(SALT_PK, salt.day.isoformat(), salt=salt.key,
                     created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                     expires_at=int(salt.expires_at.timestamp()))
        try:
            item.save(salts.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def days_before(self, day: date) -> list[date]:
        from tally.web.visitors.items import SALT_PK

        salts = self.salts
        return [date.fromisoformat(item.sk) for item in
                salts.query(SALT_PK, salts.sk < day.isoformat(), consistent_read=True, attributes_to_get=["sk"])]

    def delete(self, day: date) -> None:
        from tally.web.visitors.items import SALT_PK

        self.salts(SALT_PK, day.isoformat()).delete()
