"""An SQS queue delivered to a function as Lambda's event-source mapping does: batches, partial failures, redrive."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import SqsModel

from tests.integration.localcloud.delivery.conftest import new_pk, writes


def send(cloud, bodies: list[str]) -> None:
    sqs = cloud.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=cloud.queues["Inbox"], MessageBody=body)


def queue_deliveries(cloud, pk: str) -> list:
    return [d for d in cloud.delivery.deliveries("QueueConsumerFunction", "queue")
            if any(r["body"].startswith(pk) for r in d.records)]


def test_queues_exist_and_functions_get_their_real_urls(cloud):
    environment = cloud.runner.pools["QueueConsumerFunction"].config.environment
    sqs = cloud.client("sqs")

    assert environment["INBOX_URL"] == cloud.queues["Inbox"]
    assert sqs.get_queue_url(QueueName="tally-local-Inbox")["QueueUrl"] == cloud.queues["Inbox"]
    policy = sqs.get_queue_attributes(QueueUrl=cloud.queues["Inbox"], AttributeNames=["RedrivePolicy"])
    assert "tally-local-InboxDlq" in policy["Attributes"]["RedrivePolicy"]


def test_messages_arrive_in_batches_in_lambdas_shape(cloud):
    pk = new_pk()
    with cloud.delivery.paused():
        send(cloud, [f"{pk}/m-{i}" for i in range(7)])
    cloud.delivery.settle()

    delivered = queue_deliveries(cloud, pk)
    assert all(len(d.records) <= 5 for d in delivered)
    assert sum(len(d.records) for d in delivered) == 7
    for d in delivered:
        event = SqsModel.model_validate(d.event)
        assert {r.eventSourceARN for r in event.Records} == {cloud.provisioned.queues["Inbox"].arn}
    assert writes(cloud, pk) == {f"m-{i}": 1 for i in range(7)}
    attributes = cloud.client("sqs").get_queue_attributes(QueueUrl=cloud.queues["Inbox"], AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"  # all deleted


def test_a_reported_failure_is_received_again_and_only_it(cloud):
    pk = new_pk()
    with cloud.delivery.paused():
        send(cloud, [f"{pk}/a", f"{pk}/b:partial-once", f"{pk}/c"])
    cloud.delivery.settle()

    first, again = queue_deliveries(cloud, pk)
    assert first.answer.kind == "partial"
    assert [r["body"] for r in again.records] == [f"{pk}/b:partial-once"]
    assert again.records[0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert writes(cloud, pk) == {"a": 1, "b": 1, "c": 1}


def test_a_message_that_keeps_failing_is_moved_to_the_queues_dead_letter_queue(cloud):
    pk = new_pk()
    send(cloud, [f"{pk}/poison:raise"])
    cloud.delivery.settle()

    assert len(queue_deliveries(cloud, pk)) == 2  # maxReceiveCount
    sqs = cloud.client("sqs")
    dead = sqs.receive_message(QueueUrl=cloud.queues["InboxDlq"], MaxNumberOfMessages=10)["Messages"]
    assert f"{pk}/poison:raise" in [m["Body"] for m in dead]
