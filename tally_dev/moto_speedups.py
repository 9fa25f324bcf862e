"""moto's DynamoDB Query and TransactWriteItems in O(partition / items) instead of O(table).

moto 5.2 answers a Query on a table's own key by sorting every item of the table and then keeping
those of the asked partition, and backs up every table a transaction touches with a deep copy
(to roll back). With a month of demo traffic in the local cloud (or the bigger test tables) each
Query and each transaction costs the whole table, so imports, reads and the sealer crawl.

`install()` keeps moto's answers and changes only the work (and writes items into JSON directly
instead of through moto's shape walker, moto's costliest step per response):
- Query narrows the candidates to the partition's items that meet the key condition before
  moto's own Query runs; everything else it does (filters, projections, limits, 1 MB pages,
  ExclusiveStartKey) is untouched. A Query on an index gets the items whose index hash key equals
  the one asked (string keys; others go through moto unchanged, as do tables without a range key).
- A transaction is moto's own, but what moto would back up by deep-copying each table it touches
  is the touched items (and the length of each touched table's stream) instead: when moto cancels
  or refuses it, those are put back, so nothing is written and no stream record stays (as in
  DynamoDB and stock moto). A transaction whose items cannot be told beforehand (two operations on
  one item, an unknown table, a key missing, too many items) runs unchanged, copies and all.
"""

from __future__ import annotations

import copy
import sys
import threading
from collections import deque
from typing import Any

_installed = False
_narrowed = threading.local()
_reading = threading.local()


class _ReadCopies:
    """Stands in for the `copy` module inside moto's table module: while this thread runs a Query or
    Scan on a table's own key (no index, whose projection would change the items), the items it
    answers are not deep-copied — they are turned into the response before any other request runs,
    and nothing on the way changes them (filters read, projections build new items)."""

    copy = staticmethod(copy.copy)

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if getattr(_reading, "uncopied", False) and isinstance(value, list):
            return list(value)
        if getattr(_reading, "uncopied", False) and type(value).__name__ == "Item":
            return value
        return copy.deepcopy(value, memo)


def install() -> None:
    """Patch moto's DynamoDB table class (idempotent; in whichever process runs moto)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.table import Table

    every_item = Table.all_items
    query = Table.query

    def all_items(self: Any) -> list[Any]:
        partition = getattr(_narrowed, "partition", None)
        if partition is not None and partition[0] is self:
            return list(partition[1].values())  # moto's Query sorts them by range key itself
        if not self.range_key_attr:
            return every_item(self)
        # moto's order, by (hash key, range key): DynamoType compares by `cast_value` (the key
        # types are the table's, one per key), here computed once per item instead of per comparison
        items = [item for partition in self.items.values() for item in partition.values()]
        return sorted(items, key=lambda x: (x.hash_key.cast_value, x.range_key.cast_value))

    def query_one_partition(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name:
            return _query_index(self, query, hash_key, *args, **kwargs)
        if hash_key is None or not self.range_key_attr:
            return query(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key, {})
        range_comparison = args[0] if args else kwargs.get("range_comparison")
        range_objs = args[1] if len(args) > 1 else kwargs.get("range_objs") or []
        conditions = kwargs.get("range_key_conditions") or []
        if range_comparison and all(name == self.range_key_attr for name, *_ in conditions):
            # the key condition first, as DynamoDB applies it: moto would size every item of the partition
            partition = _meeting(partition, range_comparison, range_objs)
        _narrowed.partition = (self, dict(partition))
        _reading.uncopied = True
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _narrowed.partition = None
            _reading.uncopied = False

    def scan_without_copies(self: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[4] if len(args) > 4 else kwargs.get("index_name")
        if index_name:
            return scan(self, *args, **kwargs)
        _reading.uncopied = True
        try:
            return scan(self, *args, **kwargs)
        finally:
            _reading.uncopied = False

    scan = Table.scan
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query_one_partition  # type: ignore[method-assign]
    Table.scan = scan_without_copies  # type: ignore[method-assign]
    table_module = sys.modules[Table.__module__]
    table_module.copy = _ReadCopies()  # type: ignore[attr-defined]  # (reached through Table.query and .scan)
    _install_transactions()
    _install_attribute_values()
    _install_condition_lexing()
    _installed = True


def _install_condition_lexing() -> None:
    """Condition and filter expressions lexed once per text: the tokens depend on nothing else (names
    and values are looked up in later steps), and a sealer sends the same few texts thousands of times."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    lex = ConditionExpressionParser._lex_condition_expression
    lexed: dict[str, tuple[Any, ...]] = {}

    def lex_once(self: Any) -> deque[Any]:
        text = self.condition_expression
        nodes = lexed.get(text)
        if nodes is None:
            nodes = tuple(lex(self))  # a text moto cannot lex raises here, every time, as before
            if len(lexed) < 10_000:
                lexed[text] = nodes
        return deque(node._replace(children=[]) for node in nodes)  # lists of their own, as moto makes

    ConditionExpressionParser._lex_condition_expression = lex_once  # type: ignore[method-assign]


def _query_index(table: Any, query: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    """A Query on an index, given only the items whose index hash key is a string equal to the one
    asked: moto's own Query then filters and sorts them as it would every item of the table (its
    sort key ends with the table's own key, so the order they come in does not matter)."""
    conditions = kwargs.get("hash_key_conditions") or []
    if not conditions or not all(value.type == "S" for _, value in conditions):
        return query(table, hash_key, *args, **kwargs)
    wanted = [(name, value.value) for name, value in conditions]
    partitions = table.items.values() if table.range_key_attr else [table.items]
    _narrowed.partition = (table, {id(item): item for partition in partitions for item in partition.values()
                                   if _has_strings(item.attrs, wanted)})
    try:
        return query(table, hash_key, *args, **kwargs)
    finally:
        _narrowed.partition = None


def _has_strings(attrs: dict[str, Any], wanted: list[tuple[str, str]]) -> bool:
    for name, value in wanted:
        found = attrs.get(name)
        if found is None or found.type != "S" or found.value != value:
            return False
    return True


def _install_attribute_values() -> None:
    """DynamoDB items into JSON without walking botocore's shapes for every nested value: the same
    JSON (binary base64-encoded, everything else as it is), a fraction of moto's time per response."""
    from moto.core.serialize import BaseJSONSerializer

    walk = BaseJSONSerializer._serialize_type_structure

    def plain(serializer: Any, value: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kind, inner in value.items():
            if kind == "B":
                out[kind] = serializer._base64(inner)
            elif kind == "BS":
                out[kind] = [serializer._base64(v) for v in inner]
            elif kind == "L":
                out[kind] = [plain(serializer, v) for v in inner]
            elif kind == "M":
                out[kind] = {k: plain(serializer, v) for k, v in inner.items()}
            elif kind in ("S", "N"):
                out[kind] = str(inner)
            else:  # SS, NS (lists of strings), BOOL, NULL
                out[kind] = inner
        return out

    def structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue" and isinstance(value, dict):
            serialized[self.get_serialized_name(shape, key)] = plain(self, value)
            return
        walk(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = structure  # type: ignore[method-assign]


def _meeting(partition: dict[Any, Any], comparison: str, bounds: list[Any]) -> dict[Any, Any]:
    """The items whose range key meets a key condition (string keys compared as plain strings)."""
    from moto.dynamodb.comparisons import get_comparison_func

    if all(bound.type == "S" for bound in bounds):
        test = get_comparison_func(comparison)
        values = [bound.value for bound in bounds]
        return {key: item for key, item in partition.items()
                if item.range_key is not None and item.range_key.type == "S" and test(item.range_key.value, *values)}
    return {key: item for key, item in partition.items()
            if item.range_key is not None and item.range_key.compare(comparison, bounds)}


class _NoTableCopies:
    """Stands in for the `copy` module inside moto's transaction: a table's backup is the table
    itself (the touched items are kept aside instead); everything else is copied as before."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value)


def _install_transactions() -> None:
    import moto.dynamodb.models as models
    from moto.dynamodb.models.dynamo_type import DynamoType

    transact = models.DynamoDBBackend.transact_write_items
    lock = threading.Lock()

    def touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]] | None:
        """(table, hash key, range key) of each item; None when moto must judge it all (and copy tables)."""
        found: list[tuple[Any, Any, Any]] = []
        seen: set[tuple[str, str]] = set()
        for entry in transact_items:
            if len(entry) != 1:
                return None
            op_type, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            if table is None or op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                return None
            key_names = [name for name in (table.hash_key_attr, table.range_key_attr) if name is not None]
            given = op.get("Item" if op_type == "Put" else "Key", {})
            if not all(name in given for name in key_names):
                return None
            key = {name: given[name] for name in key_names}
            identity = (table.name, repr(sorted(key.items())))
            if identity in seen:
                return None
            seen.add(identity)
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            found.append((table, DynamoType(key[table.hash_key_attr]), range_key))
        return found

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        ops = touched(self, transact_items) if len(transact_items) <= 100 else None
        if ops is None:
            return transact(self, transact_items)
        kept = [(table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key)))
                for table, hash_key, range_key in ops]
        streams = {table.name: (table.stream_shard, len(table.stream_shard.items))
                   for table, _, _ in ops if table.stream_shard is not None}
        with lock:  # the module's `copy` is shared: one transaction swaps it at a time
            vars(models)["copy"] = _NoTableCopies
            try:
                transact(self, transact_items)
            except Exception:
                # moto's answer stands; its rollback to the (uncopied) tables is ours to do
                for table, hash_key, range_key, item in kept:
                    partition = table.items[hash_key] if range_key is not None else table.items
                    slot = range_key if range_key is not None else hash_key
                    if item is None:
                        partition.pop(slot, None)
                    else:
                        partition[slot] = item
                for shard, length in streams.values():
                    del shard.items[length:]  # the cancelled writes' stream records, as moto's copies would
                raise
            finally:
                vars(models)["copy"] = copy
        return None

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
