"""The template's event sources, read as data: stream and queue mappings, schedules, log subscriptions.

Each SAM event of type `DynamoDB`, `SQS`, `Schedule` or `ScheduleV2` becomes a frozen spec with
Lambda's defaults filled in (as `sam deploy` would create the event-source mapping or schedule),
so the pollers and the scheduler never read the template themselves. References to other
resources (`!GetAtt EventsTable.StreamArn`, `!GetAtt Queue.Arn`) stay logical ids here; the local
cloud turns them into the real ARNs and URLs of what it created in moto.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tally_dev.template import FunctionSpec

#: Lambda's defaults for a DynamoDB-stream event-source mapping.
STREAM_BATCH_SIZE = 100
#: Lambda's defaults for an SQS event-source mapping.
QUEUE_BATCH_SIZE = 10
#: Lambda retries a failed asynchronous invocation (a schedule's) twice unless EventInvokeConfig says otherwise.
ASYNC_RETRIES = 2


@dataclass(frozen=True)
class Target:
    """A resource an event source points at: a logical id of the template, or a literal ARN."""

    logical_id: str | None = None
    arn: str | None = None

    @classmethod
    def parse(cls, value: Any) -> Target:
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return cls(logical_id=target[0] if isinstance(target, list) else str(target).split(".", 1)[0])
        if isinstance(value, dict) and "Ref" in value:
            return cls(logical_id=str(value["Ref"]))
        if isinstance(value, str):
            return cls(arn=value)
        raise ValueError(f"cannot read the event source target {value!r}")


@dataclass(frozen=True)
class StreamSource:
    """A `DynamoDB` event: an event-source mapping from a table's stream to a function."""

    function: str
    name: str
    stream: Target  # the table (logical id) or a literal stream ARN
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = STREAM_BATCH_SIZE
    batching_window_s: float = 0.0
    bisect_on_error: bool = False
    max_retries: int | None = None  # None: retry until the record expires
    max_record_age_s: int | None = None  # None: until the record expires (24 h for DynamoDB)
    report_batch_item_failures: bool = False
    on_failure: Target | None = None
    enabled: bool = True

    @property
    def key(self) -> str:
        return f"{self.function}.{self.name}"


@dataclass(frozen=True)
class QueueSource:
    """An `SQS` event: an event-source mapping from a queue to a function."""

    function: str
    name: str
    queue: Target
    batch_size: int = QUEUE_BATCH_SIZE
    batching_window_s: float = 0.0
    report_batch_item_failures: bool = False
    max_concurrency: int | None = None
    enabled: bool = True

    @property
    def key(self) -> str:
        return f"{self.function}.{self.name}"


@dataclass(frozen=True)
class ScheduleSource:
    """A `Schedule` (EventBridge rule) or `ScheduleV2` (EventBridge Scheduler) event."""

    function: str
    name: str
    kind: str  # "Schedule" or "ScheduleV2"
    expression: str
    timezone: str = "UTC"
    input: Any = None  # the template's Input (a string, maybe an intrinsic), or None
    schedule_name: str | None = None  # the template's Name, when it gives one
    enabled: bool = True
    async_retries: int = ASYNC_RETRIES

    @property
    def key(self) -> str:
        return f"{self.function}.{self.name}"


@dataclass(frozen=True)
class LogSubscription:
    """A `CloudWatchLogs` event: a subscription filter from a log group to a function."""

    function: str
    name: str
    log_group: Target  # the log group (logical id) or a literal name
    filter_pattern: str = ""
    enabled: bool = True
    async_retries: int = ASYNC_RETRIES  # CloudWatch Logs invokes asynchronously: the function's EventInvokeConfig
    on_failure: Target | None = None  # its DestinationConfig.OnFailure (an SQS queue), if any

    @property
    def key(self) -> str:
        return f"{self.function}.{self.name}"


@dataclass(frozen=True)
class EventSources:
    streams: list[StreamSource] = field(default_factory=list)
    queues: list[QueueSource] = field(default_factory=list)
    schedules: list[ScheduleSource] = field(default_factory=list)
    log_subscriptions: list[LogSubscription] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # "Function.Event (Type)" the local cloud does not deliver


def _optional_limit(value: Any) -> int | None:
    """-1 (or absent) means "no limit" for MaximumRetryAttempts and MaximumRecordAgeInSeconds."""
    if value is None or int(value) < 0:
        return None
    return int(value)


def _enabled(props: dict[str, Any], key: str = "Enabled") -> bool:
    value = props.get(key, True)
    return str(value).lower() not in ("false", "disabled")


def _stream(spec: FunctionSpec, name: str, props: dict[str, Any]) -> StreamSource:
    destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    return StreamSource(
        function=spec.logical_id,
        name=name,
        stream=Target.parse(props["Stream"]),
        starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
        batch_size=int(props.get("BatchSize", STREAM_BATCH_SIZE)),
        batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
        bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
        max_retries=_optional_limit(props.get("MaximumRetryAttempts")),
        max_record_age_s=_optional_limit(props.get("MaximumRecordAgeInSeconds")),
        report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
        on_failure=Target.parse(destination) if destination is not None else None,
        enabled=_enabled(props),
    )


def _queue(spec: FunctionSpec, name: str, props: dict[str, Any]) -> QueueSource:
    concurrency = props.get("ScalingConfig", {}).get("MaximumConcurrency")
    return QueueSource(
        function=spec.logical_id,
        name=name,
        queue=Target.parse(props["Queue"]),
        batch_size=int(props.get("BatchSize", QUEUE_BATCH_SIZE)),
        batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
        report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
        max_concurrency=int(concurrency) if concurrency is not None else None,
        enabled=_enabled(props),
    )


def _schedule(spec: FunctionSpec, name: str, kind: str, props: dict[str, Any], async_retries: int) -> ScheduleSource:
    if kind == "Schedule":
        return ScheduleSource(function=spec.logical_id, name=name, kind=kind, expression=str(props["Schedule"]),
                              input=props.get("Input"), schedule_name=props.get("Name"),
                              enabled=_enabled(props) and _enabled(props, "State"), async_retries=async_retries)
    return ScheduleSource(function=spec.logical_id, name=name, kind=kind, expression=str(props["ScheduleExpression"]),
                          timezone=str(props.get("ScheduleExpressionTimezone", "UTC")), input=props.get("Input"),
                          schedule_name=props.get("Name"), enabled=_enabled(props, "State"),
                          async_retries=async_retries)


def event_sources(specs: dict[str, FunctionSpec], template: dict[str, Any]) -> EventSources:
    """Every stream, queue and schedule event of the template's functions."""
    found = EventSources()
    for spec in specs.values():
        resource = template["Resources"][spec.logical_id]
        invoke_config = resource.get("Properties", {}).get("EventInvokeConfig") or \
            template.get("Globals", {}).get("Function", {}).get("EventInvokeConfig") or {}
        async_retries = int(invoke_config.get("MaximumRetryAttempts", ASYNC_RETRIES))
        async_failure = (invoke_config.get("DestinationConfig") or {}).get("OnFailure") or {}
        on_failure = Target.parse(async_failure["Destination"]) if async_failure.get("Type") == "SQS" else None
        for name, event in spec.events.items():
            kind = event.get("Type")
            props = event.get("Properties", {})
            if kind == "DynamoDB":
                found.streams.append(_stream(spec, name, props))
            elif kind == "SQS":
                found.queues.append(_queue(spec, name, props))
            elif kind in ("Schedule", "ScheduleV2"):
                found.schedules.append(_schedule(spec, name, kind, props, async_retries))
            elif kind == "CloudWatchLogs":
                found.log_subscriptions.append(LogSubscription(
                    function=spec.logical_id, name=name, log_group=Target.parse(props["LogGroupName"]),
                    filter_pattern=str(props.get("FilterPattern", "")), enabled=_enabled(props),
                    async_retries=async_retries, on_failure=on_failure))
            elif kind not in ("HttpApi", "Api"):
                found.unsupported.append(f"{spec.logical_id}.{name} ({kind})")
    return found
