"""DynamoDB's documented limits, checked before a request reaches moto.

moto (the local DynamoDB) is lenient where DynamoDB is strict: it stores an
item nested far deeper than DynamoDB's 32 levels, a map with an empty attribute name
(which it then cannot even answer a Scan for), a number of 42 significant
digits (DynamoDB: 38), and it accepts a BatchWriteItem of any length. Each
would pass every local test and become a poison record on AWS. `problem()`
answers a request the way DynamoDB does (HTTP 400, the same error type and
message) when it breaks one of these limits, and None otherwise; moto then
serves it as before (see moto_server.py).

The limits (Amazon DynamoDB Developer Guide, "Quotas in Amazon DynamoDB" and
"DynamoDB item sizes and formats"):
- an item is at most 400 KB (409,600 bytes), counted as DynamoDB counts it;
- a document is nested at most 32 levels deep;
- a number has at most 38 significant digits, and a magnitude between
  1E-130 and 9.9999999999999999999999999999999999999E+125;
- an attribute name is 1 to 65,535 bytes, at any depth;
- a partition key value is at most 2,048 bytes, a sort key value 1,024;
- BatchWriteItem takes 1 to 25 requests, never two for the same item;
- TransactWriteItems takes 1 to 100 actions and 4 MB, one action per item.

The messages are DynamoDB's as measured in us-east-1 (where they differ by
region, as AWS rolls out a new validation layer, us-east-1's). Two are not
known exactly: the 4 MB transaction's and the batches' (DynamoDB prints the
whole request back; here it is left out).

Every limit has a test that proves it is refused:
crates/testkit/tests/local_backend.rs.
"""

import base64
import collections
import re
import threading
import time
from decimal import Decimal, InvalidOperation

VALIDATION = "com.amazon.coral.validate#ValidationException"

MAX_ITEM_BYTES = 400 * 1024
MAX_DEPTH = 32
MAX_DIGITS = 38
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
MAX_BATCH_WRITE = 25
MAX_TRANSACT_ACTIONS = 100
MAX_TRANSACT_BYTES = 4 * 1024 * 1024

INVALID = "One or more parameter values were invalid: "


# PutItem, UpdateItem and DeleteItem wrap some of their messages in the
# envelope of a model validation error; the other operations do not.
WRAPPED = "1 validation error detected: "
WRAPPING_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem")


class Refused(Exception):
    """A request DynamoDB refuses: `.message` says why, as DynamoDB words it;
    `.wrapped`: whether PutItem, UpdateItem and DeleteItem prefix it with
    "1 validation error detected: "."""

    def __init__(self, message: str, wrapped: bool = False):
        super().__init__(message)
        self.message = message
        self.wrapped = wrapped


# ── attribute values ──────────────────────────────────────────────────────


def check_number(text: str) -> None:
    try:
        number = Decimal(text)
    except (InvalidOperation, TypeError):
        number = None
    if number is None or not number.is_finite() or text != text.strip():
        raise Refused(f"The parameter cannot be converted to a numeric value: {text}", wrapped=True)
    if number != 0 and significant_digits(number) > MAX_DIGITS:
        raise Refused("Attempting to store more than 38 significant digits in a Number", wrapped=True)
    magnitude = number.copy_abs()
    # Zero is checked by the exponent it is written with (0E126 overflows).
    scale = Decimal(1).scaleb(number.as_tuple().exponent) if number == 0 else magnitude
    if scale >= Decimal("1E126"):
        raise Refused("Number overflow. Attempting to store a number with magnitude larger than supported range", wrapped=True)
    if scale < Decimal("1E-130"):
        raise Refused("Number underflow. Attempting to store a number with magnitude smaller than supported range", wrapped=True)


def significant_digits(number: Decimal) -> int:
    """Digits without the leading and trailing zeros. (Not `normalize()`: it
    rounds to the context's 28 digits.)"""
    return len("".join(map(str, number.as_tuple().digits)).strip("0"))


def number_bytes(text: str) -> int:
    """A number's size as DynamoDB stores it: base-100 digits (pairs of
    decimal digits, aligned on the decimal point) without leading or
    trailing zero pairs, plus 1 byte, plus 1 for a minus sign; zero is 1.
    This fits the sizes measured against DynamoDB (`12` 2 bytes, `123` 3,
    `100` 2, `1.5` 3, `100.5` 4, `0.15` 2, `-42` 3, `1E125` 2, 38 digits
    20); AWS documents it as "about 1 byte per two significant digits,
    plus 1"."""
    number = Decimal(text)
    if number == 0:
        return 1
    sign, digits, exponent = number.as_tuple()
    digits = "".join(map(str, digits))
    if exponent >= 0:
        whole, fraction = digits + "0" * exponent, ""
    else:
        whole, fraction = digits[:exponent] or "0", digits[exponent:].rjust(-exponent, "0")
    whole = whole.zfill(len(whole) + len(whole) % 2)
    fraction = fraction.ljust(len(fraction) + len(fraction) % 2, "0")
    pairs = [whole[i:i + 2] for i in range(0, len(whole), 2)]
    pairs += [fraction[i:i + 2] for i in range(0, len(fraction), 2)]
    while pairs and pairs[0] == "00":
        pairs.pop(0)
    while pairs and pairs[-1] == "00":
        pairs.pop()
    return 1 + len(pairs) + sign


def check_value(value, depth: int = 1, in_expression: bool = False) -> None:
    """One attribute value: its numbers, its nesting, its map keys."""
    if depth > MAX_DEPTH:
        raise Refused(
            "Nesting Levels have exceeded supported limits: "
            "Attributes in the item have nested levels beyond supported limit",
            wrapped=in_expression,
        )
    if not isinstance(value, dict) or len(value) != 1:
        return  # moto refuses a malformed value itself
    (kind, inner), = value.items()
    if kind == "N":
        check_number(inner)
    elif kind == "NS" and isinstance(inner, list):
        for text in inner:
            check_number(text)
    elif kind == "L" and isinstance(inner, list):
        for element in inner:
            check_value(element, depth + 1, in_expression)
    elif kind == "M" and isinstance(inner, dict):
        for name, element in inner.items():
            check_name(name)
            check_value(element, depth + 1, in_expression)


EMPTY_NAME = "Empty attribute name"
# As DynamoDB Local words it; DynamoDB's own wording was not measured.
NAME_TOO_LARGE = "Attribute name is too large, must be less than 65536 bytes"
MAX_NAME_BYTES = 65535


def check_name(name: str) -> None:
    """An attribute name, at any depth: 1 to 65,535 bytes ("less than 64 KB")."""
    if name == "":
        raise Refused(EMPTY_NAME, wrapped=True)
    if len(name.encode()) > MAX_NAME_BYTES:
        raise Refused(NAME_TOO_LARGE, wrapped=True)


def value_bytes(value) -> int:
    """A value's size as DynamoDB counts it ("DynamoDB item sizes and formats")."""
    if not isinstance(value, dict) or len(value) != 1:
        return 0
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return number_bytes(inner)
    if kind == "B":
        return len(base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode()) for text in inner)
    if kind == "NS":
        return sum(number_bytes(text) for text in inner)
    if kind == "BS":
        return sum(len(base64.b64decode(blob)) for blob in inner)
    if kind == "L":
        # 3 bytes for the list, 1 per element.
        return 3 + sum(1 + value_bytes(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_bytes(element) for name, element in inner.items())
    return 0


def item_bytes(item: dict) -> int:
    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def check_attributes(attributes: dict) -> None:
    for name, value in attributes.items():
        check_name(name)
        check_value(value)


# ── keys and items ────────────────────────────────────────────────────────


class Schema:
    """A table's key attributes, as moto knows them."""

    def __init__(self, hash_key: str, range_key):
        self.hash_key = hash_key
        self.range_key = range_key

    def key_of(self, attributes: dict):
        names = [self.hash_key] + ([self.range_key] if self.range_key else [])
        return tuple(repr(attributes.get(name)) for name in names)

    def check_key_sizes(self, attributes: dict) -> None:
        hash_value = attributes.get(self.hash_key)
        if hash_value is not None and value_bytes(hash_value) > MAX_PARTITION_KEY_BYTES:
            raise Refused(INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes")
        range_value = attributes.get(self.range_key) if self.range_key else None
        if range_value is not None and value_bytes(range_value) > MAX_SORT_KEY_BYTES:
            raise Refused(INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes")


def check_item(item: dict, schema) -> None:
    check_attributes(item)
    if schema is not None:
        schema.check_key_sizes(item)
    if item_bytes(item) > MAX_ITEM_BYTES:
        raise Refused("Item size has exceeded the maximum allowed size")


def check_key(key: dict, schema) -> None:
    check_attributes(key)
    if schema is not None:
        schema.check_key_sizes(key)


def check_expression_values(body: dict) -> None:
    for value in (body.get("ExpressionAttributeValues") or {}).values():
        check_value(value, in_expression=True)
    for update in (body.get("AttributeUpdates") or {}).values():
        if isinstance(update, dict) and "Value" in update:
            check_value(update["Value"], in_expression=True)


# ── operations ────────────────────────────────────────────────────────────


def put_item(body, schemas):
    check_item(body.get("Item") or {}, schemas(body.get("TableName")))
    check_expression_values(body)


def keyed(body, schemas):
    check_key(body.get("Key") or {}, schemas(body.get("TableName")))
    check_expression_values(body)


def batch_write_item(body, schemas, emptied_by_faults=False):
    requests = body.get("RequestItems") or {}
    count = sum(len(writes) for writes in requests.values() if isinstance(writes, list))
    # An empty batch is refused, as on AWS, but for one the tests' fault
    # injection emptied by refusing every entry (EMPTIED_BY_FAULTS in
    # crates/testkit/src/faults.rs): the call it stands for was not empty.
    if count > MAX_BATCH_WRITE or (count == 0 and not emptied_by_faults):
        raise Refused(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
            "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
            "Member must have length greater than or equal to 1]"
        )
    for table, writes in requests.items():
        schema = schemas(table)
        seen = set()
        for write in writes:
            if "PutRequest" in write:
                attributes = write["PutRequest"].get("Item") or {}
                check_item(attributes, schema)
            else:
                attributes = (write.get("DeleteRequest") or {}).get("Key") or {}
                check_key(attributes, schema)
            if schema is not None:
                key = schema.key_of(attributes)
                if key in seen:
                    raise Refused("Provided list of item keys contains duplicates")
                seen.add(key)


def transact_write_items(body, schemas):
    actions = body.get("TransactItems") or []
    if len(actions) > MAX_TRANSACT_ACTIONS or not actions:
        raise Refused(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
            "Member must have length less than or equal to 100"
        )
    total = 0
    seen = set()
    for action in actions:
        if not isinstance(action, dict) or len(action) != 1:
            continue
        (kind, operation), = action.items()
        schema = schemas(operation.get("TableName"))
        if kind == "Put":
            attributes = operation.get("Item") or {}
            check_item(attributes, schema)
        else:
            attributes = operation.get("Key") or {}
            check_key(attributes, schema)
        check_expression_values(operation)
        total += item_bytes(attributes) + sum(
            value_bytes(value) for value in (operation.get("ExpressionAttributeValues") or {}).values()
        )
        if schema is not None:
            key = (operation.get("TableName"), schema.key_of(attributes))
            if key in seen:
                raise Refused("Transaction request cannot include multiple operations on one item")
            seen.add(key)
    if total > MAX_TRANSACT_BYTES:
        # DynamoDB refuses it with a ValidationException (measured); its exact
        # message is not documented, and this one says what is wrong.
        raise Refused("Transaction request cannot be larger than 4 MB")


OPERATIONS = {
    "PutItem": put_item,
    "UpdateItem": keyed,
    "DeleteItem": keyed,
    "GetItem": keyed,
    "BatchWriteItem": batch_write_item,
    "TransactWriteItems": transact_write_items,
}


def problem(target: str, body: dict, schemas, emptied_by_faults: bool = False):
    """(error type, message) for a request DynamoDB would refuse, else None.

    `schemas(table_name)` gives the table's `Schema`, or None when there is
    no such table (moto then answers ResourceNotFoundException itself)."""
    name = target.rpartition(".")[2]
    operation = OPERATIONS.get(name)
    if operation is None or not isinstance(body, dict):
        return None
    try:
        if operation is batch_write_item:
            operation(body, schemas, emptied_by_faults)
        else:
            operation(body, schemas)
    except Refused as refused:
        wrap = refused.wrapped and name in WRAPPING_OPERATIONS
        return VALIDATION, (WRAPPED if wrap else "") + refused.message
    except (AttributeError, TypeError, ValueError, KeyError):
        return None  # malformed: moto says what is wrong with it
    return None


_REGION = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/")


def region_of(authorization: str) -> str:
    match = _REGION.search(authorization or "")
    return match.group(1) if match else "us-east-1"


# ── throughput: a partition's 1,000 write and 3,000 read units a second ────
#
# An on-demand table serves any load in all, but each of its partitions at
# most 1,000 write units and 3,000 read units a second ("Best practices for
# designing and using partition keys effectively"; throttling reason
# KeyRangeThroughputExceeded). DynamoDB puts many partition key values on
# one partition and splits a hot one by sort key; here each partition key
# value of a table is a partition of its own, which is exact for one hot key
# and generous for many keys that AWS would happen to keep together.
#
# Units ("DynamoDB item sizes and formats", "Read/write capacity mode"): a
# write is 1 unit per KB of the item (rounded up; the larger of the item
# before and after, for an update or a replacing put), a read 1 unit per
# 4 KB strongly consistent and half that eventually consistent; inside a
# transaction both count twice.
#
# The meter is a sliding one-second window per partition: a request is
# served when the units the partition served in the last second, with its
# own, stay within the limit. A burst may spend a whole second's units at
# once (up to 1 s of burst, never more), and units come back as the ones
# that spent them leave the window.

WRITE_UNITS_PER_SECOND = 1000
READ_UNITS_PER_SECOND = 3000
WINDOW_SECONDS = 1.0

# DynamoDB's answer to a request over a partition's limit on an on-demand
# table: ThrottlingException (the SDKs retry it), with this message (the one
# documented for the ThrottlingError cancellation reason of an on-demand
# table, and seen in on-demand clients' logs) and, since 2025, the reasons.
THROTTLING = "com.amazonaws.dynamodb.v20120810#ThrottlingException"
THROTTLED = (
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically "
    "scaling your table or index so please try again shortly. If exceptions persist, check if "
    "you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
    "bp-partition-key-design.html"
)
WRITE_REASON = "TableWriteKeyRangeThroughputExceeded"
READ_REASON = "TableReadKeyRangeThroughputExceeded"


def write_units(size: int, transactional: bool = False) -> float:
    units = max(1, -(-size // 1024))
    return units * 2 if transactional else units


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    units = max(1, -(-size // 4096))
    if transactional:
        return units * 2
    return units if consistent else units / 2


class PartitionMeter:
    """The units each partition (table, "read" or "write", partition key
    value) served in the last second. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows = collections.defaultdict(collections.deque)  # partition → (time, units)
        self.sums = collections.defaultdict(float)

    def _at(self, partition, now):
        window = self.windows[partition]
        while window and window[0][0] <= now - WINDOW_SECONDS:
            self.sums[partition] -= window.popleft()[1]
        return self.sums[partition]

    def _forget_idle(self, now):
        # Partitions nobody used for a second take no room.
        for partition in [p for p, w in self.windows.items() if not w or w[-1][0] <= now - WINDOW_SECONDS]:
            del self.windows[partition]
            self.sums.pop(partition, None)

    def admit(self, charges, all_or_nothing: bool):
        """`charges`: [(partition, units)], a partition being (table, kind,
        key). Gives the indexes of the charges refused: with
        `all_or_nothing` (a transaction), none is counted unless all pass;
        otherwise each that passes is counted."""
        with self.lock:
            now = time.monotonic()
            if len(self.windows) > 10_000:
                self._forget_idle(now)
            pending = {}
            refused = []
            for index, (partition, units) in enumerate(charges):
                limit = WRITE_UNITS_PER_SECOND if partition[1] == "write" else READ_UNITS_PER_SECOND
                used = self._at(partition, now) + pending.get(partition, 0)
                if used + units > limit:
                    refused.append(index)
                else:
                    pending[partition] = pending.get(partition, 0) + units
            if refused and all_or_nothing:
                return refused
            for partition, units in pending.items():
                self.windows[partition].append((now, units))
                self.sums[partition] += units
            return refused

    def charge(self, partition, units) -> None:
        """Counts units known only once the request was served (a Query's)."""
        with self.lock:
            now = time.monotonic()
            self._at(partition, now)
            self.windows[partition].append((now, units))
            self.sums[partition] += units

    def spent(self, partition) -> bool:
        """Whether the partition has no unit left this second."""
        limit = WRITE_UNITS_PER_SECOND if partition[1] == "write" else READ_UNITS_PER_SECOND
        with self.lock:
            return self._at(partition, time.monotonic()) >= limit
