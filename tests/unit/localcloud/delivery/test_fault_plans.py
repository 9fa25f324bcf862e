"""Fault injection decides, delivery by delivery, what to break: nothing unless asked, and only as often as asked."""

from __future__ import annotations

import pytest

from tally_dev.localcloud.faults import Faults, FaultsDisabled, Injection, any_record, sqs_body, stream_key


def record(pk: str, sk: str) -> dict:
    return {"dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}}}}


def test_nothing_is_injected_unless_asked():
    plan = Faults().plan("Fn", [record("a", "1")])

    assert (plan.duplicate, plan.fail, plan.crash) == (None, None, None)


def test_duplicates_apply_to_the_next_batches_of_the_chosen_function_only():
    faults = Faults()
    injection = faults.add(Injection(function="Fn", duplicates=2))

    plans = [faults.plan(name, [record("a", "1")]) for name in ("Other", "Fn", "Fn", "Fn")]

    assert [p.duplicate is not None for p in plans] == [False, True, True, False]
    assert injection.duplicated == 2


def test_forced_errors_hit_batches_holding_a_matching_record_as_often_as_asked():
    faults = Faults()
    injection = faults.add(Injection(fail_on=stream_key(sk="poison"), failures=2))

    plans = [faults.plan("Fn", batch) for batch in ([record("a", "ok")], [record("a", "poison")],
                                                    [record("a", "ok"), record("a", "poison")],
                                                    [record("a", "poison")])]

    assert [p.fail is not None for p in plans] == [False, True, True, False]
    assert injection.failed == 2


def test_a_forced_error_takes_precedence_and_spends_no_duplicate():
    faults = Faults()
    faults.add(Injection(fail_on=any_record, failures=1))
    duplicates = faults.add(Injection(duplicates=1))

    assert faults.plan("Fn", [record("a", "1")]).duplicate is None
    assert duplicates.duplicates == 1


def test_crashes_need_a_cloud_started_with_faults(tmp_path):
    with pytest.raises(FaultsDisabled):
        Faults().add(Injection(crash_on=any_record))

    faults = Faults(tmp_path)
    injection = faults.add(Injection(crash_on=sqs_body("boom"), crash_after_calls=2))
    plan = faults.plan("Fn", [{"body": "a boom here"}])
    directive = faults.arm("req-1", plan.crash_after_calls)

    assert plan.crash is injection
    assert directive.read_text() == '{"crash_after_calls": 2}'
    faults.crashed(injection)
    assert faults.plan("Fn", [{"body": "boom"}]).crash is None  # one crash by default


def test_a_cancelled_injection_stops_applying():
    faults = Faults()
    injection = faults.add(Injection(duplicates=5))

    injection.cancel()

    assert faults.plan("Fn", [record("a", "1")]).duplicate is None


def test_stream_key_matches_on_plain_key_values():
    match = stream_key(pk="site#1", n=3)

    assert match({"dynamodb": {"Keys": {"pk": {"S": "site#1"}, "n": {"N": "3"}}}})
    assert not match({"dynamodb": {"Keys": {"pk": {"S": "site#2"}, "n": {"N": "3"}}}})
    assert not match({"body": "not a stream record"})
