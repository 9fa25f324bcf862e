"""The template's event sources, as the local cloud reads them, and the intrinsics that point at their resources."""

from __future__ import annotations

from tally_dev.localcloud.event_sources import Target, event_sources
from tally_dev.localcloud.resources import Provisioned, Queue
from tally_dev.template import function_environment, functions, load_template, physical_names, resolve


def test_the_aggregator_reads_the_raw_event_stream_with_the_templates_mapping_settings():
    template = load_template()

    [stream] = [s for s in event_sources(functions(template), template).streams if s.function == "AggregatorFunction"]

    assert stream.stream == Target(logical_id="EventsTable")
    assert (stream.starting_position, stream.batch_size, stream.batching_window_s) == ("TRIM_HORIZON", 500, 5.0)
    assert (stream.bisect_on_error, stream.max_retries, stream.report_batch_item_failures) == (True, 4, True)
    assert stream.on_failure == Target(logical_id="AggregationDlq")


def test_every_stream_mapping_of_the_template_has_an_on_failure_destination():
    template = load_template()

    streams = event_sources(functions(template), template).streams

    assert streams
    assert all(s.on_failure is not None for s in streams)


def test_schedules_default_to_lambdas_two_asynchronous_retries():
    template = load_template()

    schedules = {s.key: s for s in event_sources(functions(template), template).schedules}

    sealer = schedules["SealerFunction.EveryMinute"]
    assert (sealer.kind, sealer.expression, sealer.async_retries) == ("ScheduleV2", "rate(1 minute)", 2)
    assert "<aws.scheduler.execution-id>" in str(sealer.input)  # an EventBridge event naming the run
    assert schedules["SaltRotationFunction.Daily"].timezone == "UTC"


def test_stream_arns_and_queue_urls_resolve_to_what_the_local_cloud_created():
    template = load_template()
    queue = Queue("AggregationDlq", "tally-local-AggregationDlq",
                  "http://127.0.0.1:4566/123456789012/tally-local-AggregationDlq",
                  "arn:aws:sqs:us-east-1:123456789012:tally-local-AggregationDlq")
    stream = "arn:aws:dynamodb:us-east-1:123456789012:table/tally-local-EventsTable/stream/2026-11-25T22:10:36.992"
    provisioned = Provisioned(queues={"AggregationDlq": queue}, streams={"EventsTable": stream})
    names = {**physical_names(template, "tally-local"), **provisioned.names()}

    def value(intrinsic: dict) -> str:
        return resolve(intrinsic, template, names, attributes=provisioned.attributes())

    assert value({"Ref": "AggregationDlq"}) == queue.url
    assert value({"Fn::GetAtt": ["EventsTable", "StreamArn"]}) == stream
    assert value({"Fn::GetAtt": ["AggregationDlq", "Arn"]}) == queue.arn
    assert value({"Fn::GetAtt": ["AggregationDlq", "QueueName"]}) == queue.name
    env = function_environment(functions(template)["AggregationRetryFunction"], template, names,
                               attributes=provisioned.attributes())
    assert env["AGGREGATION_DLQ_URL"] == queue.url


def test_without_a_running_cloud_a_stream_arn_still_resolves_to_a_well_formed_arn():
    template = load_template()

    arn = resolve({"Fn::GetAtt": "EventsTable.StreamArn"}, template, physical_names(template, "tally-local"))

    assert arn.startswith("arn:aws:dynamodb:us-east-1:123456789012:table/tally-local-EventsTable/stream/")


def test_the_usage_recorders_log_subscription_retries_twice_then_goes_to_its_dlq():
    template = load_template()

    [subscription] = event_sources(functions(template), template).log_subscriptions

    assert subscription.key == "UsageRecorderFunction.AccessLog"
    assert subscription.log_group == Target(logical_id="HttpApiAccessLogs")
    assert (subscription.async_retries, subscription.on_failure) == (2, Target(logical_id="UsageRecorderDlq"))


def test_every_asynchronously_invoked_log_subscriber_has_an_on_failure_destination():
    template = load_template()

    subscriptions = event_sources(functions(template), template).log_subscriptions

    assert subscriptions
    assert all(s.on_failure is not None for s in subscriptions)
