"""moto's server (the local DynamoDB), handling one request at a time.

`moto_server` serves requests on many threads at once. Its DynamoDB
transactions roll back by restoring a copy of the *whole* tables taken when
the transaction started, so a transaction cancelled in one thread undoes the
writes that other threads made meanwhile: counts go missing and conditional
puts succeed twice. (Seen with moto 5.2.5 and two shards' consumers writing
at once.) Real DynamoDB isolates transactions; here requests are simply
serialised, which keeps moto's answers exact. Connections are still served
on their own threads (werkzeug's server closes each after one answer), so
a request waiting for the lock never blocks another one's reading.

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
DynamoDB's own error and message. The same server is the local S3 (and SQS,
and the deploy rehearsal's CloudFormation): S3 requests go through
s3_limits.py first (bucket names, 1,024-byte keys, 5 GiB in one PUT).

Throughput and transaction conflicts (on unless PITLANE_THROTTLE=off)
--------------------------------------------------------------------
Serialised, moto never throttles and never sees two transactions meet. Real
DynamoDB does both, and code that never met them locally has never run its
retry path. So, in front of moto:

- Each partition key value is metered (dynamodb_limits.PartitionMeter: a
  sliding one-second window of 1,000 write and 3,000 read units, twice the
  units inside a transaction). PutItem, UpdateItem, DeleteItem and GetItem
  over the limit are refused with ThrottlingException and the throttling
  reason TableWriteKeyRangeThroughputExceeded (TableRead… for a read); a
  BatchWriteItem hands its throttled requests back in UnprocessedItems (all
  of them throttled: ThrottlingException); a TransactWriteItems with a
  throttled item is cancelled (TransactionCanceledException, reason
  ThrottlingError for that item and None for the others), and nothing of it
  is counted. Query, Scan, BatchGetItem and TransactGetItems are not
  metered.
- A transaction is "in flight" for a while, as on DynamoDB, where it takes
  milliseconds to prepare and commit: it holds its items' keys for
  PITLANE_TRANSACTION_HOLD_MS (default 3 ms) *outside* the one-at-a-time
  lock, and only then runs in moto (inside the lock), releasing its keys
  when moto is done. Requests keep arriving on their own threads meanwhile;
  one that touches a held item is refused as DynamoDB refuses it: another
  TransactWriteItems is cancelled with TransactionConflict for that item
  (None for the others), and a PutItem, UpdateItem or DeleteItem gets
  TransactionConflictException. Reads, and BatchWriteItem, are not refused.
  moto itself still runs one request at a time, so its answers stay exact:
  the hold only widens the window in which requests overlap, it never lets
  two of them into moto at once.
- For tests only: a transaction sent with the header
  `x-pitlane-hold: NAME` holds its items until `POST /pitlane/release/NAME`
  (or 30 s), so that a test can meet it for certain, whatever the load.

PITLANE_THROTTLE=off (read at start; for benchmarks only) turns metering
and holding off, and says so loudly in the log.

Usage: python moto_server.py HOST PORT
"""

import copy
import functools
import io
import json
import os
import signal
import sys
import threading
import time

import dynamodb_limits
import s3_limits

import moto.core.responses as core_responses
import moto.dynamodb.models as dynamodb_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.exceptions import ItemSizeToUpdateTooLarge
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

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


def less_work_per_request() -> None:
    """moto, less its per-request work that always gives the same answer.

    A vote's transaction cost the local DynamoDB 4 to 5 ms of CPU, under 1 ms
    of it in DynamoDB's own work; the suites of days 07, 09 and 11 send 1,000
    to 1,800 requests each, so moto's CPU is their clock. Three lookups moto
    repeats on every request depend on nothing that changes while it runs:
    which service a host name is (a scan of moto's module folders, 54 calls
    per request), a response class's method names (`inspect.getmembers`),
    and which node types an expression validator processes (rebuilt at every
    node of every expression). Each is remembered after its first answer:
    a transaction's CPU went from 4.4-4.9 to 3.7-4.0 ms, day 07's suite from
    8.4-9.6 to 7.6-7.9 s; what moto answers is the same (the suites check
    it), and nothing about DynamoDB's behaviour changes."""
    DomainDispatcherApplication.get_backend_for_host = functools.cache(
        DomainDispatcherApplication.get_backend_for_host)
    core_responses.method_names_from_class = functools.cache(core_responses.method_names_from_class)
    moto_nodes_to_be_processed = DepthFirstTraverser.nodes_to_be_processed
    node_types = {}

    def nodes_to_be_processed(self):
        kind = type(self)
        if kind not in node_types:
            node_types[kind] = moto_nodes_to_be_processed(self)
        return node_types[kind]

    DepthFirstTraverser.nodes_to_be_processed = nodes_to_be_processed


class RequestHandler(MotoRequestHandler):
    """moto's request handler, logging only the requests that failed in the
    server (5xx). A line per request cost CPU on every call and grew the log
    by thousands of lines a suite, none of which said more than "POST / 200":
    a refused request's reason is in its answer, which the client shows."""

    def log_request(self, code="-", size="-"):
        if str(code).startswith("5"):
            super().log_request(code, size)


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


def read_request(environ):
    """The request's JSON (None if it is not JSON); its body stays readable."""
    if "pitlane.request" not in environ:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            environ["pitlane.request"] = json.loads(body or b"{}")
        except ValueError:
            environ["pitlane.request"] = None
    return environ["pitlane.request"]


def refusal(environ, start_response):
    """DynamoDB's answer to a request that breaks one of its limits, or None
    (the request is then served by moto, its body read back unchanged)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not target.startswith("DynamoDB_"):
        return None
    request = read_request(environ)
    if request is None:
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


# ── throughput and transaction conflicts ─────────────────────────────────

ARN = "arn:aws:dynamodb:{region}:" + DEFAULT_ACCOUNT_ID + ":table/{table}"
TRANSACTION_CONFLICT = "com.amazonaws.dynamodb.v20120810#TransactionConflictException"
ONGOING = "Transaction is ongoing for the item."
TEST_HOLD_SECONDS = 30.0


def throttling_enabled() -> bool:
    return os.environ.get("PITLANE_THROTTLE", "on").strip().lower() not in ("off", "0", "false", "no")


def hold_seconds() -> float:
    return float(os.environ.get("PITLANE_TRANSACTION_HOLD_MS", "3")) / 1000


def error(start_response, body: dict):
    answer = json.dumps(body).encode()
    start_response("400 Bad Request", [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("Content-Length", str(len(answer))),
    ])
    return [answer]


def throttled(start_response, region, table, kind):
    # DynamoDB's model spells the field "throttlingReasons" in a
    # ThrottlingException (and "ThrottlingReasons" in the other two).
    return error(start_response, {
        "__type": dynamodb_limits.THROTTLING,
        "message": dynamodb_limits.THROTTLED,
        "throttlingReasons": [{
            "reason": dynamodb_limits.WRITE_REASON if kind == "write" else dynamodb_limits.READ_REASON,
            "resource": ARN.format(region=region, table=table),
        }],
    })


def cancelled(start_response, reasons):
    """TransactionCanceledException as moto (and DynamoDB) words it; `reasons`
    holds a (code, message) or None per action."""
    codes = ", ".join(code if code else "None" for code, _ in (r or (None, None) for r in reasons))
    return error(start_response, {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        "CancellationReasons": [
            {"Code": "None"} if r is None else {"Code": r[0], "Message": r[1]} for r in reasons
        ],
    })


class Holds:
    """The items that in-flight transactions hold, and the tests' releases."""

    def __init__(self):
        self.lock = threading.Lock()
        self.held = set()
        self.releases = {}  # name → threading.Event

    def try_hold(self, keys):
        """Holds every key, or none: gives for each key whether another
        transaction holds it."""
        with self.lock:
            taken = [key in self.held for key in keys]
            if not any(taken):
                self.held.update(keys)
            return taken

    def holds(self, key) -> bool:
        with self.lock:
            return key in self.held

    def release(self, keys) -> None:
        with self.lock:
            self.held.difference_update(keys)

    def test_release(self, name: str) -> threading.Event:
        with self.lock:
            return self.releases.setdefault(name, threading.Event())


class Served:
    """What moto answered, caught so that it can be read and changed."""

    def __init__(self, app, environ):
        self.status, self.headers = None, None

        def start_response(status, headers, exc_info=None):
            self.status, self.headers = status, headers

        self.body = b"".join(app(environ, start_response))

    def send(self, start_response, body: bytes = None):
        body = self.body if body is None else body
        headers = [(n, v) for n, v in self.headers if n.lower() != "content-length"]
        start_response(self.status, headers + [("Content-Length", str(len(body)))])
        return [body]


class Throughput:
    """Meters requests and holds transactions' items (see the docstring)."""

    def __init__(self, app, one_at_a_time):
        self.app = app
        self.one_at_a_time = one_at_a_time
        self.meter = dynamodb_limits.PartitionMeter()
        self.holds = Holds()
        self.hold = hold_seconds()

    # Items, their keys and sizes, as moto stores them (inside the lock).

    @staticmethod
    def stored_bytes(table, attrs) -> int:
        try:
            item = table.get_item(*key_of(table, attrs))
        except Exception:
            return 0  # malformed key: moto refuses the request itself
        return 0 if item is None else dynamodb_limits.item_bytes(item.to_json()["Attributes"])

    @staticmethod
    def item_key(table_name, table, attrs):
        schema = dynamodb_limits.Schema(table.hash_key_attr, table.range_key_attr)
        return table_name, schema.key_of(attrs)

    @staticmethod
    def partition(table_name, table, kind, attrs):
        return table_name, kind, repr(attrs.get(table.hash_key_attr))

    def serve(self, environ, start_response, operation, request, tables, region):
        """Serves one request (the lock is not held): gives the answer."""
        if operation == "TransactWriteItems":
            return self.transaction(environ, start_response, request, tables, region)
        with self.one_at_a_time:
            refused = refusal(environ, start_response)
            if refused is not None:
                return refused
            table = tables.get(request.get("TableName"))
            if operation in ("PutItem", "UpdateItem", "DeleteItem", "GetItem") and table is not None:
                return self.single(environ, start_response, operation, request, table, region)
            if operation == "BatchWriteItem":
                return self.batch_write(environ, start_response, request, tables, region)
            return list(self.app(environ, start_response))

    def single(self, environ, start_response, operation, request, table, region):
        name = request["TableName"]
        attrs = request.get("Item") if operation == "PutItem" else request.get("Key")
        if not isinstance(attrs, dict):
            return list(self.app(environ, start_response))
        before = self.stored_bytes(table, attrs)
        if operation == "GetItem":
            kind = "read"
            units = dynamodb_limits.read_units(before, bool(request.get("ConsistentRead")))
        else:
            kind = "write"
            if self.holds.holds(self.item_key(name, table, attrs)):
                return error(start_response, {"__type": TRANSACTION_CONFLICT, "message": ONGOING})
            size = max(before, dynamodb_limits.item_bytes(attrs)) if operation == "PutItem" else before
            units = dynamodb_limits.write_units(size)
        partition = self.partition(name, table, kind, attrs)
        if self.meter.admit([(partition, units)], all_or_nothing=True):
            return throttled(start_response, region, name, kind)
        answer = list(self.app(environ, start_response))
        if operation == "UpdateItem":
            # An update costs the larger of the item before and after.
            extra = dynamodb_limits.write_units(self.stored_bytes(table, attrs)) - units
            if extra > 0:
                self.meter.charge(partition, extra)
        return answer

    def batch_write(self, environ, start_response, request, tables, region):
        """Throttled requests go back in UnprocessedItems; moto gets the rest."""
        kept, unprocessed, throttled_table = {}, {}, None
        for name, writes in (request.get("RequestItems") or {}).items():
            table = tables.get(name)
            if table is None or not isinstance(writes, list):
                return list(self.app(environ, start_response))
            charges = []
            for write in writes:
                attrs = (write.get("PutRequest") or {}).get("Item") or (write.get("DeleteRequest") or {}).get("Key") or {}
                size = max(self.stored_bytes(table, attrs), dynamodb_limits.item_bytes(attrs))
                charges.append((self.partition(name, table, "write", attrs), dynamodb_limits.write_units(size)))
            refused = set(self.meter.admit(charges, all_or_nothing=False))
            kept[name] = [w for i, w in enumerate(writes) if i not in refused]
            if refused:
                unprocessed[name] = [w for i, w in enumerate(writes) if i in refused]
                throttled_table = name
        if not unprocessed:
            return list(self.app(environ, start_response))
        kept = {name: writes for name, writes in kept.items() if writes}
        if not kept:
            return throttled(start_response, region, throttled_table, "write")
        body = json.dumps({**request, "RequestItems": kept}).encode()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        served = Served(self.app, environ)
        if not served.status.startswith("200"):
            return served.send(start_response)
        answer = json.loads(served.body)
        left = answer.setdefault("UnprocessedItems", {})
        for name, writes in unprocessed.items():
            left.setdefault(name, []).extend(writes)
        return served.send(start_response, json.dumps(answer).encode())

    def transaction(self, environ, start_response, request, tables, region):
        keys, charges = [], []
        with self.one_at_a_time:
            refused = refusal(environ, start_response)
            if refused is not None:
                return refused
            for action in request.get("TransactItems") or []:
                (kind, op), = action.items() if isinstance(action, dict) and len(action) == 1 else ((None, {}),)
                table = tables.get(op.get("TableName")) if isinstance(op, dict) else None
                attrs = op.get("Item") if kind == "Put" else op.get("Key") if table is not None else None
                if table is None or not isinstance(attrs, dict):
                    return list(self.app(environ, start_response))  # moto says what is wrong
                size = self.stored_bytes(table, attrs)
                if kind == "Put":
                    size = max(size, dynamodb_limits.item_bytes(attrs))
                keys.append(self.item_key(op["TableName"], table, attrs))
                charges.append((self.partition(op["TableName"], table, "write", attrs),
                                dynamodb_limits.write_units(size, transactional=True)))
        taken = self.holds.try_hold(keys)
        if any(taken):
            return cancelled(start_response, [("TransactionConflict", ONGOING) if t else None for t in taken])
        try:
            refused = set(self.meter.admit(charges, all_or_nothing=True))
            if refused:
                return cancelled(start_response, [
                    ("ThrottlingError", dynamodb_limits.THROTTLED) if i in refused else None
                    for i in range(len(charges))])
            # In flight: the items are held, and moto is free for others.
            test_hold = environ.get("HTTP_X_PITLANE_HOLD")
            if test_hold:
                self.holds.test_release(test_hold).wait(TEST_HOLD_SECONDS)
            else:
                time.sleep(self.hold)
            with self.one_at_a_time:
                return list(self.app(environ, start_response))
        finally:
            self.holds.release(keys)


# The moto release whose internals the patches above were written against
# (scripts/setup.sh pins the same), and the internals they replace or call.
MOTO_VERSION = "5.2.5"
PATCHED = [
    (DynamoDBBackend, "transact_write_items"),
    (DynamoDBBackend, "update_item"),
    (DynamoDBBackend, "get_table"),
    (dynamodb_models, "copy"),
    (dynamo_type, "LimitedSizeDict"),
    (Table, "get_item"),
    (DomainDispatcherApplication, "get_backend_for_host"),
    (core_responses, "method_names_from_class"),
    (DepthFirstTraverser, "nodes_to_be_processed"),
]


def check_moto() -> None:
    """Refuses to start on a moto the patches were not written for: another
    release may roll transactions back another way, and a patch that misses
    its target would change nothing, silently."""
    import moto

    problems = []
    if moto.__version__ != MOTO_VERSION:
        problems.append(f"moto is {moto.__version__}, and its patches were written for {MOTO_VERSION}")
    for owner, name in PATCHED:
        if not hasattr(owner, name):
            problems.append(f"moto has no {getattr(owner, '__name__', owner)}.{name} any more")
    if problems:
        sys.exit(
            "pitlane: scripts/moto_server.py patches moto's DynamoDB internals "
            "(item-level transaction rollback, item sizes as DynamoDB counts them):\n  "
            + "\n  ".join(problems)
            + "\n  Reinstall the pinned moto (rm -rf .tools/venv; just setup), or, when upgrading it on "
            "purpose, read each patch against the new moto, update MOTO_VERSION and scripts/setup.sh, "
            "and run `just test`."
        )


def main() -> None:
    check_moto()
    item_level_rollback()
    item_size_as_dynamodb_counts()
    less_work_per_request()
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()
    throughput = Throughput(app, one_at_a_time) if throttling_enabled() else None
    if throughput is None:
        print("pitlane: ############################################################\n"
              "pitlane: PITLANE_THROTTLE=off: DynamoDB THROUGHPUT IS NOT THROTTLED and\n"
              "pitlane: transactions never conflict. AWS would refuse this load.\n"
              "pitlane: Benchmarks only.\n"
              "pitlane: ############################################################",
              file=sys.stderr, flush=True)

    def serialised(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if throughput is not None and path.startswith("/pitlane/release/"):
            throughput.holds.test_release(path.rpartition("/")[2]).set()
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if throughput is not None and target.startswith("DynamoDB_"):
            request = read_request(environ)
            if isinstance(request, dict):
                region = dynamodb_limits.region_of(environ.get("HTTP_AUTHORIZATION", ""))
                tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables
                operation = target.rpartition(".")[2]
                try:
                    return throughput.serve(environ, start_response, operation, request, tables, region)
                except (AttributeError, TypeError, KeyError, ValueError):
                    pass  # malformed in a way the meter did not expect: moto says what is wrong
        s3_refused = s3_limits.problem(environ)
        if s3_refused is not None:
            status, body = s3_refused
            start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
            return [body]
        with one_at_a_time:
            refused = refusal(environ, start_response)
            if refused is not None:
                return refused
            # The body is produced inside the lock, so that the whole request
            # (not just its start) runs alone.
            return list(app(environ, start_response))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_simple(host, port, serialised, threaded=True, request_handler=RequestHandler)


if __name__ == "__main__":
    main()
