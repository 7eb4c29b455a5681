"""moto's server (the local DynamoDB), handling one request at a time.

`moto_server` serves requests on many threads at once. Its DynamoDB
transactions roll back by restoring a copy of the *whole* tables taken when
the transaction started, so a transaction cancelled in one thread undoes the
writes that other threads made meanwhile: counts go missing and conditional
puts succeed twice. (Seen with moto 5.2.5 and two shards' consumers writing
at once.) Real DynamoDB isolates transactions; here requests are simply
serialised, which keeps moto's answers exact. Connections are still served
on their own threads, so a kept-alive connection never blocks the others.

The whole-table copy is also slow: a deep copy of every item of every table a
transaction touches, about 4 ms per 100 items, on every transaction — day 07
writes one transaction per vote, so its tests slowed down as their tables
grew. Requests being serialised, a transaction only has to be able to undo
its own writes: `item_level_rollback` keeps a copy of just the items it
names, and puts them back if it is cancelled. (The course's tables have no
DynamoDB stream, which the whole-table copy would also have rolled back.)
The suites check the rollback: a cancelled vote must leave no count behind.

moto is also more lenient than DynamoDB: every request first goes through
dynamodb_limits.py, which refuses what DynamoDB refuses (an item nested
too deep, a 39-digit number, an empty attribute name, a batch of 26...) with
DynamoDB's own error and message.

Usage: python moto_server.py HOST PORT
"""

import copy
import io
import json
import signal
import sys
import threading

import dynamodb_limits

import moto.dynamodb.models as dynamodb_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.exceptions import ItemSizeToUpdateTooLarge
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def key_of(table, attrs):
    """The (hash, range) key moto stores an item under, from its key attributes."""
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


def put_back(table, hash_value, range_value, item):
    """Restores an item as it was (None: it did not exist)."""
    rows = table.items[hash_value] if range_value is not None else table.items
    key = range_value if range_value is not None else hash_value
    if item is None:
        rows.pop(key, None)
    else:
        rows[key] = item


def item_level_rollback() -> None:
    """Transactions back up and restore the items they name, not whole tables."""
    moto_transact_write_items = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        backups = []
        for entry in transact_items:
            op = next(iter(entry.values()), {})
            table = self.tables.get(op.get("TableName"))
            try:
                hash_value, range_value = key_of(table, op.get("Key") or op.get("Item") or {})
                before = copy.deepcopy(table.get_item(hash_value, range_value))
            except Exception:
                continue  # no such table, or no valid key: moto refuses the item itself
            backups.append((table, hash_value, range_value, before))
        try:
            moto_transact_write_items(self, transact_items)
        except Exception:
            # Newest first: with an item named twice, its state before the
            # transaction is the one that stays.
            for backup in reversed(backups):
                put_back(*backup)
            raise

    class CopyExceptTables:
        """moto's `copy` module, except that a table's "deep copy" is the table
        itself: moto's own rollback then puts back the very same tables, and
        the items are restored above."""

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        def __getattr__(self, name):
            return getattr(copy, name)

    dynamodb_models.copy = CopyExceptTables()
    DynamoDBBackend.transact_write_items = transact_write_items


def item_size_as_dynamodb_counts() -> None:
    """Items up to 400 KB as DynamoDB counts them, no more and no less.

    moto refuses an item over 405,000 bytes counted its own way (no list or
    map overhead, a number's text length): it refuses items that DynamoDB
    stores. Requests are checked by dynamodb_limits.py instead; an update,
    whose result only moto knows, is undone when the item it leaves is over
    the limit, with DynamoDB's message for that case."""
    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__
    moto_update_item = DynamoDBBackend.update_item

    def update_item(self, table_name, key, *args, **kwargs):
        table = self.get_table(table_name)
        hash_value, range_value = key_of(table, key)
        before = copy.deepcopy(table.get_item(hash_value, range_value))
        item = moto_update_item(self, table_name, key, *args, **kwargs)
        if dynamodb_limits.item_bytes(item.to_json()["Attributes"]) > dynamodb_limits.MAX_ITEM_BYTES:
            put_back(table, hash_value, range_value, before)
            raise ItemSizeToUpdateTooLarge()
        return item

    DynamoDBBackend.update_item = update_item


def refusal(environ, start_response):
    """DynamoDB's answer to a request that breaks one of its limits, or None
    (the request is then served by moto, its body read back unchanged)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not target.startswith("DynamoDB_"):
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return None
    region = dynamodb_limits.region_of(environ.get("HTTP_AUTHORIZATION", ""))
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables

    def schema(name):
        table = tables.get(name)
        return None if table is None else dynamodb_limits.Schema(table.hash_key_attr, table.range_key_attr)

    emptied = environ.get("HTTP_X_PITLANE_FAULTS_EMPTIED") == "true"
    refused = dynamodb_limits.problem(target, request, schema, emptied_by_faults=emptied)
    if refused is None:
        return None
    error_type, message = refused
    answer = json.dumps({"__type": error_type, "message": message}).encode()
    start_response("400 Bad Request", [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("Content-Length", str(len(answer))),
    ])
    return [answer]


def main() -> None:
    item_level_rollback()
    item_size_as_dynamodb_counts()
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialised(environ, start_response):
        with one_at_a_time:
            refused = refusal(environ, start_response)
            if refused is not None:
                return refused
            # The body is produced inside the lock, so that the whole request
            # (not just its start) runs alone.
            return list(app(environ, start_response))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_simple(host, port, serialised, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
