"""Entity items as pynamodb models, bound to their tables when a store is built (never at import).

Entity items — sites and domain claims, API keys, import secrets, visitor salts — are few, read by
key and written one at a time or in small transactions: a model per item kind is clearer than a
hand mapper. The hot paths (raw events, rollups, marks, spans, failure ledger, platform totals)
keep the low-level client: they batch, page and build expressions per call, and skipping model
(de)serialisation keeps their CPU per event small.

A model class declares its attributes and keys only; `bind` gives it a table, and the region and
endpoint of `tally.platform.aws.dynamodb_client()` (so the local cloud's and the tests'
`AWS_ENDPOINT_URL` reach pynamodb too). Modules that define models import pynamodb, so stores
import them lazily: a handler's cold import stays as cheap as `import boto3`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from tally.platform.aws import dynamodb_client, transact_write

if TYPE_CHECKING:
    from pynamodb.models import Model

M = TypeVar("M", bound="Model")


def bind(model: type[M], table_name: str) -> type[M]:
    """`model` bound to `table_name` (one class per pair, reused for the container's life)."""
    bound: type[M] = _bound(model, table_name)
    return bound


@cache
def _bound(model: type[Any], table_name: str) -> type[Any]:
    client = dynamodb_client()
    meta = type("Meta", (), {"table_name": table_name, "region": client.meta.region_name,
                             "host": client.meta.endpoint_url})
    return type(model.__name__, (model,), {"Meta": meta, "__module__": model.__module__,
                                           "__qualname__": f"{model.__qualname__}[{table_name}]"})


def forget_bindings() -> None:
    """Forget bound classes and their connections (tests that switch endpoints call this)."""
    _bound.cache_clear()


Operation = dict[str, Any]


def put(item: Model, condition: Any | None = None) -> Operation:
    """A transaction's Put of `item` (pynamodb serialises it and its condition)."""
    return {"Put": item.get_save_kwargs_from_instance(condition=condition)}


def update(item: Model, actions: Sequence[Any], condition: Any | None = None) -> Operation:
    return {"Update": item.get_update_kwargs_from_instance(actions=list(actions), condition=condition)}


def delete(item: Model, condition: Any | None = None) -> Operation:
    return {"Delete": item.get_delete_kwargs_from_instance(condition=condition)}


def commit(operations: Sequence[Operation], *, sleep: Callable[[float], None] | None = None) -> list[str] | None:
    """Commit the operations in one DynamoDB transaction: None when it committed, else each
    operation's cancellation reason, in the order given (see `tally.platform.aws.transact_write`).

    pynamodb's `TransactWrite` groups operations by kind, so its cancellation reasons do not follow
    the caller's order, and it cannot carry the low-level items of the platform totals; its model
    operations are therefore committed here, with the platform's conflict retry.
    """
    items = [{kind: {k: v for k, v in args.items() if v is not None} for kind, args in op.items()}
             for op in operations]
    if sleep is None:
        return transact_write(dynamodb_client(), items)
    return transact_write(dynamodb_client(), items, sleep=sleep)
