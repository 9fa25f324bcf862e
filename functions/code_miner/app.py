"""The miner: one SQS message is one step of a mining run (see tally.code.runs); batch size 1."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.code.claims import Delivery
from tally.code.fetch import fetch_repository
from tally.code.miner_settings import miner_settings
from tally.code.queue import StepMessage
from tally.code.runs import StepBusy, StepContext, run_step
from tally.code.settings import code_settings
from tally.code.wiring import code_store, export_store, mining_queue
from tally.platform.observability import logger, metrics, tracer
from tally.totals.wiring import totals_writer

#: The queue's maxReceiveCount (template.yaml): on this delivery a failing step fails the run.
LAST_DELIVERY = 3


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings, miner = code_settings(), miner_settings()
    failures = []
    for record in event.get("Records", []):
        message = StepMessage.parse(record["body"])
        deliveries = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        ctx = StepContext(store=code_store(), exports=export_store(), queue=mining_queue(),
                          salt=settings.identity_salt, allow_local=settings.local, lease_s=settings.lease_seconds,
                          work_dir=miner.work_dir, reserve_s=miner.reserve_seconds,
                          seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
                          fetch=lambda codebase, target: fetch_repository(
                              codebase.url, target, max_bytes=miner.max_clone_bytes,
                              max_seconds=miner.max_clone_seconds),
                          totals=totals_writer(), last_delivery=deliveries >= LAST_DELIVERY,
                          delivery=Delivery(record["messageId"], deliveries))
        try:
            outcome = run_step(message, ctx)
        except StepBusy as busy:  # not deleted: back once the live copy's claim lapses (stale or claimable then)
            hold_back(record["receiptHandle"], busy.retry_after_s, message)
            failures.append({"itemIdentifier": record["messageId"]})
            metrics.add_metric(name="MiningStepBusy", unit="Count", value=1)
            continue
        except Exception:  # noqa: BLE001  # any failure: the message comes back, the step resumes
            logger.exception("mining step failed; the queue delivers it again", extra={"run_id": message.run_id})
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        logger.info("mining step", extra={"run_id": message.run_id, "step": message.step, "outcome": outcome})
        metrics.add_metric(name=f"MiningStep{outcome.capitalize()}", unit="Count", value=1)
    return {"batchItemFailures": failures}


def hold_back(receipt_handle: str, seconds: float, message: StepMessage) -> None:
    try:
        mining_queue().hold(receipt_handle, seconds)
    except Exception:  # noqa: BLE001  # then it comes back after the queue's visibility timeout: later, still right
        logger.exception("could not hold the busy step back", extra={"run_id": message.run_id})
