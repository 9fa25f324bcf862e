"""A DynamoDB stream delivered to a function as Lambda's event-source mapping does, on the local cloud."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
    DynamoDBStreamModel,
)

from tests.integration.localcloud.delivery.conftest import (
    deliveries_of,
    function_log,
    keys_of,
    new_pk,
    put_items,
    writes,
)


def test_stream_records_reach_the_function_in_lambdas_shape_and_order(cloud, delivery_app):
    pk = new_pk()
    with cloud.delivery.paused():
        put_items(cloud, pk, {f"e-{i}": "ok" for i in range(3)})
    cloud.delivery.settle()

    [delivered] = deliveries_of(cloud, pk)
    event = DynamoDBStreamModel.model_validate(delivered.event)
    assert [r.dynamodb.NewImage["sk"] for r in event.Records] == ["e-0", "e-1", "e-2"]
    assert {r.eventSourceARN for r in event.Records} == {cloud.provisioned.streams["ItemsTable"]}
    assert all(r.eventSource == "aws:dynamodb" and r.dynamodb.StreamViewType == "NEW_IMAGE" for r in event.Records)
    numbers = [int(r.dynamodb.SequenceNumber) for r in event.Records]
    assert numbers == sorted(numbers)
    [seen] = [e for e in function_log(delivery_app, "StreamConsumerFunction")
              if e["request_id"] == delivered.request_id]
    assert seen["event"] == delivered.event  # what the function got is what the mapping sent
    assert writes(cloud, pk) == {"e-0": 1, "e-1": 1, "e-2": 1}


def test_the_function_sees_the_real_stream_arn_in_its_environment(cloud):
    environment = cloud.runner.pools["StreamConsumerFunction"].config.environment

    assert environment["CHANGES_STREAM"] == cloud.provisioned.streams["ItemsTable"]
    assert "/stream/1970-01-01" not in environment["CHANGES_STREAM"]


def test_batches_hold_at_most_batch_size_records(cloud):
    pk = new_pk()
    with cloud.delivery.paused():
        put_items(cloud, pk, {f"e-{i:02d}": "ok" for i in range(19)})
    cloud.delivery.settle()

    assert [len(d.records) for d in deliveries_of(cloud, pk)] == [8, 8, 3]
    assert [k for d in deliveries_of(cloud, pk) for k in keys_of(d.records)] == [f"e-{i:02d}" for i in range(19)]


def test_a_partial_batch_failure_resumes_from_the_failed_record(cloud):
    pk = new_pk()
    with cloud.delivery.paused():
        put_items(cloud, pk, {"a": "ok", "b": "partial-once", "c": "ok", "d": "ok"})
    cloud.delivery.settle()

    first, second = deliveries_of(cloud, pk)
    assert keys_of(first.records) == ["a", "b", "c", "d"]
    assert first.answer.kind == "partial"
    assert keys_of(second.records) == ["b", "c", "d"]  # from the checkpoint on: "a" is not delivered again
    assert second.answer.ok
    assert writes(cloud, pk) == {"a": 1, "b": 1, "c": 2, "d": 2}


def test_bisection_isolates_a_poison_record_which_ends_in_the_dlq_after_its_retries(cloud):
    pk = new_pk()
    modes = {f"e-{i}": "ok" for i in range(8)}
    modes["e-5"] = "raise"
    with cloud.delivery.paused():
        put_items(cloud, pk, modes)
    cloud.delivery.settle()

    batches = [keys_of(d.records) for d in deliveries_of(cloud, pk)]
    assert batches == [[f"e-{i}" for i in range(8)], ["e-0", "e-1", "e-2", "e-3"], ["e-4", "e-5", "e-6", "e-7"],
                       ["e-4", "e-5"], ["e-4"]] + [["e-5"]] * 5 + [["e-6", "e-7"]]
    # at least once: the records before the poison were processed by each failed batch that held them
    assert writes(cloud, pk) == {"e-0": 2, "e-1": 2, "e-2": 2, "e-3": 2, "e-4": 4, "e-6": 1, "e-7": 1}

    poison = next(d for d in deliveries_of(cloud, pk) if keys_of(d.records) == ["e-5"])
    sequence = poison.ids[0]
    [discarded] = [d for d in cloud.delivery.dead_letters if d.record["DDBStreamBatchInfo"]["startSequenceNumber"]
                   == sequence]
    assert discarded.destination == cloud.queues["ChangesDlq"]
    sqs = cloud.client("sqs")
    messages = sqs.receive_message(QueueUrl=cloud.queues["ChangesDlq"], MaxNumberOfMessages=10)["Messages"]
    [body] = [json.loads(m["Body"]) for m in messages
              if json.loads(m["Body"])["DDBStreamBatchInfo"]["startSequenceNumber"] == sequence]
    failure = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(body)
    assert failure.request_context.condition == "RetryAttemptsExhausted"
    assert failure.request_context.function_arn.endswith(":function:tally-local-StreamConsumerFunction")
    assert failure.request_context.approximate_invoke_count == sum(sequence in d.ids for d in deliveries_of(cloud, pk))
    assert failure.response_context.function_error == "Unhandled"
    info = body["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (sequence, sequence, 1)
    assert info["streamArn"] == cloud.provisioned.streams["ItemsTable"]
    shard = cloud.client("dynamodbstreams").describe_stream(StreamArn=info["streamArn"])
    assert info["shardId"] == shard["StreamDescription"]["Shards"][0]["ShardId"]

    put_items(cloud, pk, {"after": "ok"})  # the shard moved on past the discarded record
    cloud.delivery.settle()
    assert writes(cloud, pk)["after"] == 1


def test_records_reported_failed_every_time_are_discarded_without_a_function_error(cloud):
    pk = new_pk()
    with cloud.delivery.paused():
        put_items(cloud, pk, {"a": "ok", "b": "partial", "c": "ok"})
    cloud.delivery.settle()

    batches = [keys_of(d.records) for d in deliveries_of(cloud, pk)]
    assert batches == [["a", "b", "c"]] + [["b", "c"]] * 4
    [discarded] = [d for d in cloud.delivery.dead_letters
                   if d.record["DDBStreamBatchInfo"]["startSequenceNumber"] == deliveries_of(cloud, pk)[-1].ids[0]]
    assert discarded.record["DDBStreamBatchInfo"]["batchSize"] == 2
    assert "functionError" not in discarded.record["responseContext"]
