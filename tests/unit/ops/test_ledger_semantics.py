"""The ledger's count equals a brute-force count of its entries (in-memory twin of the DynamoDB ledger)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.ops.kinds import OpsKind
from tally.ops.ledger import InMemoryFailureLedger
from tally.ops.recorder import record_failure
from tally.ops.service import count_failures

NOW = datetime(2026, 11, 25, 12, 34, 56, 789_000, tzinfo=UTC)
offsets = st.integers(min_value=0, max_value=8 * 86400 * 1000)


@settings(max_examples=150)
@given(
    failures=st.lists(st.tuples(offsets, st.sampled_from(list(OpsKind)), st.sampled_from(["demo", "rival"])),
                      max_size=60),
    window_s=st.integers(min_value=1, max_value=7 * 86400),
)
def test_count_equals_brute_force_for_any_window(failures, window_s):
    ledger = InMemoryFailureLedger()
    for i, (offset, kind, org) in enumerate(failures):
        record_failure(kind, "op", "boom", org_id=org, failure_id=str(i), ledger=ledger,
                       at=NOW - timedelta(milliseconds=offset))
    since = f"{window_s}s"
    result = count_failures("demo", since, False, None, ledger=ledger, now=NOW)
    start = NOW - timedelta(seconds=window_s)
    expected = [f for f in ledger.entries.values() if f.org_id == "demo" and start <= f.at < NOW]
    assert result.count == len(expected)
    for kind in OpsKind:
        assert result.by_kind[kind.value] == sum(1 for f in expected if f.kind is kind)


def test_a_retried_failure_with_the_same_id_counts_once():
    ledger = InMemoryFailureLedger()
    assert record_failure(OpsKind.email, "send", "bounce", org_id="demo", failure_id="e1", ledger=ledger, at=NOW)
    assert not record_failure(OpsKind.email, "send", "bounce", org_id="demo", failure_id="e1", ledger=ledger, at=NOW)
    result = count_failures("demo", "1h", False, OpsKind.email, ledger=ledger, now=NOW + timedelta(seconds=1))
    assert result.count == 1


def test_the_recorder_never_raises_when_the_ledger_is_broken():
    class BrokenLedger(InMemoryFailureLedger):
        def record(self, failure):
            raise OSError("ledger unreachable")

    assert record_failure(OpsKind.job, "seal", "boom", org_id="demo", ledger=BrokenLedger()) is False


def test_failures_without_an_org_are_platform_failures_not_any_tenants():
    ledger = InMemoryFailureLedger()
    record_failure(OpsKind.cache, "public-stats", "throttled", ledger=ledger, at=NOW)
    assert count_failures("demo", "1h", False, None, ledger=ledger, now=NOW + timedelta(seconds=1)).count == 0
    assert count_failures("_platform", "1h", False, None, ledger=ledger, now=NOW + timedelta(seconds=1)).count == 1


def test_a_failure_reported_again_later_still_counts_once():
    ledger = InMemoryFailureLedger()
    record_failure(OpsKind.aggregation, "batch", "dlq", org_id="demo", failure_id="b1", ledger=ledger, at=NOW)
    record_failure(OpsKind.aggregation, "batch", "dlq", org_id="demo", failure_id="b1", ledger=ledger,
                   at=NOW + timedelta(minutes=7))
    assert count_failures("demo", "1h", False, None, ledger=ledger, now=NOW + timedelta(minutes=8)).count == 1
