"""Lambda's event-source-mapping rules, driven by a scripted function: answers, checkpoints, bisection, retries."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tally_dev.localcloud.batches import (
    RECORD_AGE_EXCEEDED,
    RETRY_EXHAUSTED,
    Answer,
    Discarded,
    StreamPolicy,
    read_answer,
    run_stream_batch,
    settle_queue_batch,
    take_batch,
)
from tally_dev.localcloud.runner import Invocation

FIRST_SEQUENCE = 1100000000017454423009


def records(count: int, created: int = 1_800_000_000) -> list[dict]:
    return [{"eventID": str(i), "dynamodb": {"SequenceNumber": str(FIRST_SEQUENCE + i),
                                             "ApproximateCreationDateTime": created}} for i in range(count)]


def seq(index: int) -> str:
    return str(FIRST_SEQUENCE + index)


def answered(payload: object) -> Invocation:
    return Invocation("Fn", "req", payload=json.dumps(payload))


class ScriptedFunction:
    """Answers each batch through `script(batch indexes) -> Answer`, and remembers every batch."""

    def __init__(self, script: Callable[[list[int]], Answer]) -> None:
        self.script = script
        self.batches: list[list[int]] = []

    def __call__(self, batch: list[dict]) -> Answer:
        indexes = [int(r["dynamodb"]["SequenceNumber"]) - FIRST_SEQUENCE for r in batch]
        self.batches.append(indexes)
        return self.script(indexes)


def run(batch: list[dict], policy: StreamPolicy, function: ScriptedFunction,
        now: float = 1_800_000_010) -> tuple[int, list[Discarded], list[int]]:
    discarded: list[Discarded] = []
    waits: list[int] = []

    def wait(retries: int) -> bool:
        waits.append(retries)
        return True

    done = run_stream_batch(batch, policy, function, discard=discarded.append, wait_retry=wait, now=lambda: now)
    return done, discarded, waits


def fails_on(poison: int) -> Callable[[list[int]], Answer]:
    return lambda batch: Answer("error", error_type="RuntimeError") if poison in batch else Answer("ok")


# -- reading answers ----------------------------------------------------------------------------------------

IDS = [seq(0), seq(1), seq(2)]


@pytest.mark.parametrize("payload", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}, "done"])
def test_no_reported_failures_is_a_complete_success(payload):
    assert read_answer(answered(payload), IDS, report_batch_item_failures=True).kind == "ok"


def test_reported_items_are_a_partial_failure():
    answer = read_answer(answered({"batchItemFailures": [{"itemIdentifier": seq(2)}, {"itemIdentifier": seq(1)}]}),
                         IDS, report_batch_item_failures=True)

    assert (answer.kind, answer.failed) == ("partial", (seq(2), seq(1)))


@pytest.mark.parametrize("failures", [
    [{"itemIdentifier": ""}], [{"itemIdentifier": None}], [{"itemId": seq(1)}], [{"itemIdentifier": "999"}],
    {"itemIdentifier": seq(1)}, ["x"],
])
def test_a_malformed_failure_list_fails_the_whole_batch(failures):
    assert read_answer(answered({"batchItemFailures": failures}), IDS, report_batch_item_failures=True).kind == \
        "invalid"


def test_failures_are_ignored_unless_the_mapping_asks_for_them():
    answer = read_answer(answered({"batchItemFailures": [{"itemIdentifier": seq(1)}]}), IDS,
                         report_batch_item_failures=False)

    assert answer.kind == "ok"


def test_an_invocation_error_is_a_function_error():
    answer = read_answer(Invocation("Fn", "req", error={"errorType": "Runtime.ExitError"}), IDS, True)

    assert (answer.kind, answer.error_type) == ("error", "Runtime.ExitError")


# -- stream batches -------------------------------------------------------------------------------------------


def test_a_successful_batch_is_done_in_one_invocation():
    function = ScriptedFunction(lambda batch: Answer("ok"))

    done, discarded, _ = run(records(4), StreamPolicy(), function)

    assert (done, discarded, function.batches) == (4, [], [[0, 1, 2, 3]])


def test_a_partial_failure_resumes_from_the_lowest_failed_sequence_number():
    answers = iter([Answer("partial", (seq(3), seq(2))), Answer("ok")])
    function = ScriptedFunction(lambda batch: next(answers))

    done, discarded, waits = run(records(5), StreamPolicy(report_batch_item_failures=True), function)

    assert function.batches == [[0, 1, 2, 3, 4], [2, 3, 4]]
    assert (done, discarded, waits) == (5, [], [1])


def test_bisection_isolates_a_poison_record_and_retries_only_it_before_discarding():
    function = ScriptedFunction(fails_on(5))

    done, discarded, waits = run(records(8), StreamPolicy(bisect_on_error=True, max_retries=4), function)

    assert function.batches == [[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3], [4, 5, 6, 7], [4, 5], [4],
                                [5], [5], [5], [5], [5], [6, 7]]
    assert waits == [1, 2, 3, 4]  # splitting consumed no retry: only the single record's retries waited
    assert done == 8
    [lost] = discarded
    assert [r["dynamodb"]["SequenceNumber"] for r in lost.records] == [seq(5)]
    assert (lost.condition, lost.function_error) == (RETRY_EXHAUSTED, "Unhandled")
    assert lost.invoke_count == sum(5 in b for b in function.batches) == 8


def test_without_bisection_a_failing_batch_is_retried_whole_then_discarded_whole():
    function = ScriptedFunction(fails_on(1))

    done, discarded, _ = run(records(3), StreamPolicy(max_retries=2), function)

    assert function.batches == [[0, 1, 2]] * 3
    assert done == 3
    assert [len(d.records) for d in discarded] == [3]
    assert discarded[0].invoke_count == 3


def test_zero_retries_discards_after_the_first_failure():
    function = ScriptedFunction(fails_on(0))

    _, discarded, waits = run(records(1), StreamPolicy(max_retries=0), function)

    assert (len(function.batches), len(discarded), waits) == (1, 1, [])


def test_records_that_keep_being_reported_are_discarded_from_the_checkpoint_without_a_function_error():
    function = ScriptedFunction(lambda batch: Answer("partial", (seq(2),)))

    done, discarded, _ = run(records(4), StreamPolicy(report_batch_item_failures=True, max_retries=1,
                                                      bisect_on_error=True), function)

    assert function.batches == [[0, 1, 2, 3], [2, 3]]
    [lost] = discarded
    assert [r["eventID"] for r in lost.records] == ["2", "3"]
    assert lost.function_error is None
    assert done == 4


def test_a_malformed_answer_retries_the_whole_batch_without_bisecting():
    answers = iter([Answer("invalid"), Answer("ok")])
    function = ScriptedFunction(lambda batch: next(answers))

    run(records(4), StreamPolicy(bisect_on_error=True, report_batch_item_failures=True, max_retries=3), function)

    assert function.batches == [[0, 1, 2, 3], [0, 1, 2, 3]]


def test_records_older_than_the_maximum_age_are_discarded_unread():
    batch = records(2, created=1_000) + records(4, created=1_800_000_000)[2:]
    function = ScriptedFunction(lambda b: Answer("ok"))

    done, discarded, _ = run(batch, StreamPolicy(max_record_age_s=60), function)

    assert function.batches == [[2, 3]]
    assert [(d.condition, len(d.records)) for d in discarded] == [(RECORD_AGE_EXCEEDED, 2)]
    assert done == 4


def test_stopping_leaves_the_undone_records_undone():
    function = ScriptedFunction(fails_on(2))

    done = run_stream_batch(records(4), StreamPolicy(bisect_on_error=True), function, discard=lambda d: None,
                            wait_retry=lambda retries: False)

    assert done == 2  # [0, 1] succeeded; [2] failed and the wait was cut short


# -- queues and batch sizes -------------------------------------------------------------------------------------


def test_a_queue_batch_deletes_all_the_succeeded_messages():
    ids = ["a", "b", "c"]

    assert settle_queue_batch(Answer("ok"), ids) == ids
    assert settle_queue_batch(Answer("partial", ("b",)), ids) == ["a", "c"]
    assert settle_queue_batch(Answer("error"), ids) == []
    assert settle_queue_batch(Answer("invalid"), ids) == []


def test_a_batch_stops_at_its_size_and_before_the_payload_limit():
    small = [{"n": i} for i in range(10)]
    big = [{"blob": "x" * 400} for _ in range(10)]

    assert take_batch(small, 4) == 4
    assert take_batch(big, 10, max_bytes=1000) == 2
    assert take_batch([{"blob": "x" * 5000}], 10, max_bytes=1000) == 1  # one record always goes
