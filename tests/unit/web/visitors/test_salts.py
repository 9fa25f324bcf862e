"""SaltStore: one salt per UTC day, yesterday's kept, older ones deleted, created on demand, cached."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tally.ops.kinds import OpsKind
from tally.web.visitors.ids import VisitorIds
from tally.web.visitors.job import failure_id, run_rotation
from tally.web.visitors.salts import SaltStore
from tally.web.visitors.visitor_id import visitor_id
from tests.unit.web.visitors.fakes import BrokenSaltTable, MemorySaltTable

MIDNIGHT = datetime(2026, 11, 25, tzinfo=UTC)
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def counter_bytes():
    state = {"n": 0}

    def random_bytes(size: int) -> bytes:
        state["n"] += 1
        return state["n"].to_bytes(size, "big")

    return random_bytes


def test_rotating_twice_on_one_day_keeps_the_first_salt():
    table = MemorySaltTable()
    store = SaltStore(table)

    first = store.rotate(MIDNIGHT)
    salt = table.salts[MIDNIGHT.date()]
    second = store.rotate(MIDNIGHT + timedelta(minutes=5))

    assert (first.created, second.created) == (True, False)
    assert table.salts == {MIDNIGHT.date(): salt}


def test_rotation_deletes_salts_older_than_yesterday():
    table = MemorySaltTable()
    store = SaltStore(table)
    for days_ago in (5, 3, 2, 1):
        store.rotate(MIDNIGHT - timedelta(days=days_ago))

    rotation = store.rotate(MIDNIGHT)

    assert set(table.salts) == {MIDNIGHT.date(), MIDNIGHT.date() - timedelta(days=1)}
    assert rotation.deleted == (date(2026, 11, 23),)


def test_a_salt_lives_48_hours_from_the_start_of_its_day():
    table = MemorySaltTable()
    SaltStore(table).rotate(MIDNIGHT)
    store = SaltStore(table)

    store.rotate(MIDNIGHT + timedelta(days=1))
    assert MIDNIGHT.date() in table.salts
    store.rotate(MIDNIGHT + timedelta(days=2))
    assert MIDNIGHT.date() not in table.salts


def test_current_and_previous_are_todays_and_yesterdays_salts():
    table = MemorySaltTable()
    store = SaltStore(table)
    store.rotate(MIDNIGHT - timedelta(days=1))
    store.rotate(MIDNIGHT)

    pair = store.current_and_previous(MIDNIGHT + timedelta(hours=13))

    assert pair.current.day == MIDNIGHT.date()
    assert pair.current.key == table.salts[MIDNIGHT.date()]
    assert pair.previous is not None and pair.previous.key == table.salts[MIDNIGHT.date() - timedelta(days=1)]


def test_when_the_rotation_has_not_run_ingest_creates_the_days_salt_itself():
    table = MemorySaltTable()

    pair = SaltStore(table).current_and_previous(MIDNIGHT + timedelta(seconds=1))

    assert table.salts == {MIDNIGHT.date(): pair.current.key}
    assert pair.previous is None


def test_a_salt_created_on_demand_is_the_one_a_later_rotation_keeps():
    table = MemorySaltTable()
    on_demand = SaltStore(table).current_and_previous(MIDNIGHT).current.key

    assert SaltStore(table).rotate(MIDNIGHT).created is False
    assert table.salts[MIDNIGHT.date()] == on_demand


def test_concurrent_first_uses_agree_on_one_salt():
    table = MemorySaltTable()
    stores = [SaltStore(table) for _ in range(16)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        keys = set(pool.map(lambda store: store.current_and_previous(MIDNIGHT).current.key, stores))

    assert keys == {table.salts[MIDNIGHT.date()]}


def test_salts_are_read_once_per_day_per_container():
    table = MemorySaltTable()
    store = SaltStore(table)
    store.current_and_previous(MIDNIGHT)
    reads = table.reads

    for minute in range(1, 600):
        store.current_and_previous(MIDNIGHT + timedelta(minutes=minute))
    assert table.reads == reads

    store.current_and_previous(MIDNIGHT + timedelta(days=1))
    assert table.reads > reads


def test_days_are_utc_days_whatever_the_clocks_zone():
    table = MemorySaltTable()
    store = SaltStore(table)
    late_evening_in_new_york = datetime(2026, 11, 24, 20, 30, tzinfo=timezone(timedelta(hours=-5)))

    assert store.current_and_previous(late_evening_in_new_york).current.day == date(2026, 11, 25)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.current_and_previous(datetime(2026, 11, 25, 12))


def test_a_visit_crossing_midnight_is_found_under_yesterdays_id():
    table = MemorySaltTable()
    ids = VisitorIds(SaltStore(table, random_bytes=counter_bytes()))

    before = ids.for_event("site-1", "203.0.113.9", UA, MIDNIGHT - timedelta(seconds=30))
    after = ids.for_event("site-1", "203.0.113.9", UA, MIDNIGHT + timedelta(seconds=30))

    assert after.current != before.current
    assert after.previous == before.current


def test_ids_are_the_keyed_hash_of_the_days_salts():
    table = MemorySaltTable()
    store = SaltStore(table)
    store.rotate(MIDNIGHT - timedelta(days=1))
    store.rotate(MIDNIGHT)

    pair = VisitorIds(store).for_event("site-1", "203.0.113.9", UA, MIDNIGHT + timedelta(hours=1))

    assert pair.current == visitor_id(table.salts[MIDNIGHT.date()], "site-1", "203.0.113.9", UA)
    assert pair.previous == visitor_id(table.salts[date(2026, 11, 24)], "site-1", "203.0.113.9", UA)


def test_a_failed_rotation_is_recorded_once_per_scheduled_day_and_raised_again():
    recorded: list[tuple] = []

    def record(kind, operation, error, *, failure_id=None, at=None):
        recorded.append((kind, operation, failure_id))
        return True

    store = SaltStore(BrokenSaltTable())
    for attempt in range(3):  # Lambda's retries of one tick
        with pytest.raises(ConnectionError):
            run_rotation(store, MIDNIGHT + timedelta(minutes=attempt), scheduled=MIDNIGHT, record_failure=record)

    assert set(recorded) == {(OpsKind.job, "salt-rotation", failure_id(MIDNIGHT.date()))}
    assert failure_id(MIDNIGHT.date()) == "salt-rotation#2026-11-25"
