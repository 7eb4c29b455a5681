"""A front for kinesis-local (the local Kinesis) that refuses what AWS refuses.

kinesis-local accepts a PutRecords call of any length and any total size,
counts a record's data but not its partition key against the 1 MiB record
size, turns an oversized record of a PutRecords call into a failed entry
(AWS refuses the whole call), and words its refusals its own way. AWS
refuses more than 500 records in one call, more than 5 MiB in all (data and
partition keys), and a record whose data and key exceed 1 MiB (the default
record size). A producer that batches wrongly would pass every local test
and fail on its first day on AWS, so this front refuses those calls the way
AWS does (HTTP 400, AWS's error type and message), and passes every other
request through unchanged. (Streams of up to 10 MiB records, an opt-in on
AWS, do not exist locally.)

Every limit here has a test that proves it is refused: crates/testkit/tests/
local_backend.rs. The local-backend appendix of the book lists each AWS limit
and where it is enforced locally.

Throughput (on unless PITLANE_THROTTLE=off, for benchmarks only)
------------------------------------------------------------------
kinesis-local never throttles (it refuses an iterator older than 300 s
with ExpiredIteratorException, as AWS does, and nothing else). AWS gives a
shard 1 MiB/s or 1,000 records/s of writes and 5 GetRecords calls/s and
2 MiB/s of reads, shared by every writer and every reader. A producer that
never sees a throttled record locally has never had its retry path run, so
this front meters each shard as AWS does:

- Writes: a sliding one-second window per shard. A record is accepted when
  the records and bytes (data and partition key) that the shard accepted in
  the last second, with it, stay within 1,000 and 1 MiB; otherwise it is
  refused. Any one second therefore holds at most the limit (a burst may
  spend the whole second's allowance at once, never more), and an allowance
  comes back when the records that spent it leave the window. A PutRecords
  call's entries are metered in order, each on its own shard: the refused
  entries fail alone (ErrorCode ProvisionedThroughputExceededException,
  FailedRecordCount counts them) and the others go on to kinesis-local; a
  PutRecord over the limit is refused whole (HTTP 400). A record's shard is
  the one whose HashKeyRange holds the MD5 of its partition key (or its
  ExplicitHashKey) as a 128-bit number; the open shards of a stream are
  asked of kinesis-local (ListShards) and kept for a second, or until a
  reshard goes through this front.
- Reads: at most 5 GetRecords calls in any one second per shard (a sliding
  window, as for writes), and 2 MiB a second on average. A shard's read
  allowance is one second's worth, 2 MiB: each page's bytes are taken from
  it once the page is served (its size is known only then, so a page may
  overdraw it), and it is earned back at 2 MiB a second; a call is refused
  whole while the allowance is spent. A reader that asks as fast as it can
  is therefore served 2 MiB a second, after a first burst. One call may
  return up to 10 MiB: a page of B bytes over 2 MiB leaves the allowance at
  -B at most, as if it had found it empty, so that it is paid for in B /
  2 MiB seconds, and after a 10 MiB page the next 5 seconds are refused, as
  the GetRecords reference says. A page within the allowance
  costs nothing more: a reader that asks for the next page at once is
  served, as on AWS. (Metering every page as B / 2 MiB seconds of busy
  shard refused that call for a few milliseconds, and the SDK's retry then
  waited half a second on average: AWS does not refuse it.)
  A GetRecords call names only its iterator, so the front remembers which
  shard each iterator it handed out belongs to (GetShardIterator,
  NextShardIterator).

PITLANE_THROTTLE=off (read once at start) turns all of this off and says so
loudly in the log; the size limits above stay.

Usage: python kinesis_limits.py HOST PORT UPSTREAM_PORT
"""

import base64
import collections
import hashlib
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_RECORDS_PER_PUT_RECORDS = 500
MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024
MAX_PARTITION_KEY_LENGTH = 256


def validation(message: str):
    return "ValidationException", f"1 validation error detected: {message}"


def record_problem(record: dict, path: str, size: int):
    """A record's own limits: a partition key of 1 to 256 characters (as Java
    counts them, in UTF-16 units), and data and key within 1 MiB together
    (the default record size; kinesis-local counts the data alone). `size`
    is `record_bytes(record)`, counted once by the caller."""
    key = record.get("PartitionKey")
    if not isinstance(key, str):
        return None
    length = len(key.encode("utf-16-le")) // 2
    if length > MAX_PARTITION_KEY_LENGTH:
        return validation(
            f"Value '{key}' at '{path}partitionKey' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_PARTITION_KEY_LENGTH}"
        )
    if length == 0:
        return validation(
            f"Value '' at '{path}partitionKey' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    if size > MAX_RECORD_BYTES:
        return validation(
            f"Value at '{path}data' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_RECORD_BYTES}"
        )
    return None


def record_bytes(record: dict) -> int:
    """Data (before base64) and partition key: what AWS counts against a
    record's size and a request's."""
    try:
        data = base64.b64decode(record.get("Data", ""), validate=True)
    except (ValueError, TypeError):
        data = b""  # kinesis-local answers malformed data itself
    return len(data) + len(str(record.get("PartitionKey", "")).encode())


def put_record_problem(body: dict):
    return record_problem(body, "", record_bytes(body))


def put_records_problem(body: dict):
    """The (error type, message) AWS answers a PutRecords request with, or None."""
    records = body.get("Records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return None  # kinesis-local answers malformed requests itself
    if len(records) > MAX_RECORDS_PER_PUT_RECORDS:
        return validation(
            "Value at 'records' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_RECORDS_PER_PUT_RECORDS}"
        )
    sizes = [record_bytes(record) for record in records]  # each record decoded once
    for number, (record, size) in enumerate(zip(records, sizes), start=1):
        problem = record_problem(record, f"records.{number}.member.", size)
        if problem is not None:
            return problem
    if sum(sizes) > MAX_PUT_RECORDS_BYTES:
        return "InvalidArgumentException", "Records size exceeds 5 MB limit"
    return None


CHECKS = {
    "Kinesis_20131202.PutRecord": put_record_problem,
    "Kinesis_20131202.PutRecords": put_records_problem,
}


# ── throughput ────────────────────────────────────────────────────────────

ACCOUNT = "123456789012"  # kinesis-local's, as backend.sh starts it
WRITE_RECORDS_PER_SECOND = 1000
WRITE_BYTES_PER_SECOND = 1024 * 1024
READ_CALLS_PER_SECOND = 5
READ_BYTES_PER_SECOND = 2 * 1024 * 1024
WINDOW_SECONDS = 1.0
SHARDS_KEPT_SECONDS = 1.0  # how long a stream's shard list is trusted
ITERATOR_SECONDS = 300.0  # an iterator's life on AWS and in kinesis-local
RESHARDS = ("UpdateShardCount", "SplitShard", "MergeShards", "DeleteStream", "CreateStream")


def stream_name(body: dict):
    """The stream a request names, by name or by ARN (…:stream/NAME)."""
    name = body.get("StreamName")
    if isinstance(name, str):
        return name
    arn = body.get("StreamARN")
    if isinstance(arn, str) and ":stream/" in arn:
        return arn.split(":stream/", 1)[1]
    return None


def hash_key(record: dict):
    """Where a record falls in the stream's hash key space: its
    ExplicitHashKey, or the MD5 of its partition key as a 128-bit number."""
    explicit = record.get("ExplicitHashKey")
    if isinstance(explicit, str) and explicit.isdigit():
        return int(explicit)
    key = record.get("PartitionKey")
    if not isinstance(key, str):
        return None
    return int(hashlib.md5(key.encode()).hexdigest(), 16)


def write_refusal(shard: str, stream: str) -> str:
    return f"Rate exceeded for shard {shard} in stream {stream} under account {ACCOUNT}."


def read_refusal(shard: str, stream: str) -> str:
    # As AWS words it (seen in 2023 and 2025 client logs).
    return f"Rate exceeded for Shard - {ACCOUNT}/{stream}/{shard}"


def data_bytes(records) -> int:
    """The data of GetRecords' records, decoded size, without decoding it."""
    total = 0
    for record in records:
        data = record.get("Data") or ""
        total += len(data) * 3 // 4 - data[-2:].count("=")
    return total


class Window:
    """What one shard took in the last second: (time, records, bytes) entries
    and their sums."""

    def __init__(self):
        self.entries = collections.deque()
        self.records = 0
        self.bytes = 0

    def at(self, now: float) -> "Window":
        """The window as seen at `now`: entries a second old or more are gone."""
        while self.entries and self.entries[0][0] <= now - WINDOW_SECONDS:
            _, records, size = self.entries.popleft()
            self.records -= records
            self.bytes -= size
        return self

    def add(self, now: float, records: int, size: int) -> None:
        self.entries.append((now, records, size))
        self.records += records
        self.bytes += size


class Throughput:
    """Each shard's writes and reads, metered as AWS meters them (see the
    module's docstring). `ask(operation, body)`, passed by the request that
    needs a stream's shards, calls kinesis-local and gives back its JSON
    answer, or None when it refused."""

    def __init__(self):
        self.lock = threading.Lock()  # guards everything below
        self.writes = collections.defaultdict(Window)  # (stream, shard) → Window
        self.read_calls = collections.defaultdict(Window)  # (stream, shard) → Window of calls
        self.read_allowance = {}  # (stream, shard) → (bytes, as of when)
        self.shard_lists = {}  # stream → (fetched at, [(first hash, last hash, shard id)])
        self.iterators = {}  # iterator → (stream, shard, handed out at)

    # Shards of a stream

    def shards(self, stream: str, ask):
        with self.lock:
            kept = self.shard_lists.get(stream)
        if kept is not None and time.monotonic() - kept[0] < SHARDS_KEPT_SECONDS:
            return kept[1]
        ranges, token = [], None
        while True:  # asked outside the lock: kinesis-local answers in its own time
            page = ask("ListShards", {"NextToken": token} if token else {"StreamName": stream})
            if page is None:
                return None  # no such stream: kinesis-local will say so itself
            for shard in page.get("Shards", []):
                if (shard.get("SequenceNumberRange") or {}).get("EndingSequenceNumber"):
                    continue  # closed: takes no more records
                hashes = shard["HashKeyRange"]
                ranges.append((int(hashes["StartingHashKey"]), int(hashes["EndingHashKey"]), shard["ShardId"]))
            token = page.get("NextToken")
            if not token:
                break
        with self.lock:
            self.shard_lists[stream] = (time.monotonic(), ranges)
        return ranges

    def forget_shards(self, stream: str) -> None:
        with self.lock:
            self.shard_lists.pop(stream, None)

    def shard_of(self, ranges, record: dict):
        position = hash_key(record)
        if position is None:
            return None
        for first, last, shard in ranges:
            if first <= position <= last:
                return shard
        return None

    # Writes

    def admit_writes(self, stream: str, records: list, ask) -> list:
        """For each record, in order: None when its shard takes it (and it is
        counted), else the shard that refuses it."""
        ranges = self.shards(stream, ask) if stream else None
        if not ranges:
            return [None] * len(records)
        verdicts = []
        with self.lock:
            now = time.monotonic()
            for record in records:
                shard = self.shard_of(ranges, record)
                if shard is None:
                    verdicts.append(None)  # kinesis-local says what is wrong with it
                    continue
                window = self.writes[(stream, shard)].at(now)
                size = record_bytes(record)
                if (window.records + 1 > WRITE_RECORDS_PER_SECOND
                        or window.bytes + size > WRITE_BYTES_PER_SECOND):
                    verdicts.append(shard)
                else:
                    window.add(now, 1, size)
                    verdicts.append(None)
        return verdicts

    # Reads

    def remember_iterator(self, iterator, stream: str, shard: str) -> None:
        if not isinstance(iterator, str):
            return
        with self.lock:
            now = time.monotonic()
            if len(self.iterators) > 100_000:  # forget the expired ones now and then
                self.iterators = {i: v for i, v in self.iterators.items() if now - v[2] < ITERATOR_SECONDS}
            self.iterators[iterator] = (stream, shard, now)

    def shard_of_iterator(self, iterator):
        with self.lock:
            found = self.iterators.get(iterator)
        return None if found is None else found[:2]

    def admit_read(self, stream: str, shard: str) -> bool:
        """Whether the shard serves one more GetRecords call now (counted if so)."""
        with self.lock:
            now = time.monotonic()
            key = (stream, shard)
            calls = self.read_calls[key].at(now)
            if calls.records >= READ_CALLS_PER_SECOND or self.allowance(key, now) <= 0:
                return False
            calls.add(now, 1, 0)
            return True

    def count_read(self, stream: str, shard: str, size: int) -> None:
        """A call returned `size` bytes: they are taken from the shard's
        allowance (a page over 2 MiB, from an allowance it found empty)."""
        with self.lock:
            now = time.monotonic()
            key = (stream, shard)
            left = self.allowance(key, now) - size
            if size > READ_BYTES_PER_SECOND:
                left = min(left, -size)
            self.read_allowance[key] = (left, now)

    def allowance(self, key, now: float) -> float:
        """The bytes the shard may still serve at `now` (negative: overdrawn);
        the caller holds the lock."""
        left, since = self.read_allowance.get(key, (READ_BYTES_PER_SECOND, now))
        return min(READ_BYTES_PER_SECOND, left + (now - since) * READ_BYTES_PER_SECOND)


def throttling_enabled() -> bool:
    return os.environ.get("PITLANE_THROTTLE", "on").strip().lower() not in ("off", "0", "false", "no")


def serve(host: str, port: int, upstream_port: int) -> None:
    local = threading.local()
    throttled = throttling_enabled()
    if not throttled:
        print("pitlane: ############################################################\n"
              "pitlane: PITLANE_THROTTLE=off: Kinesis THROUGHPUT IS NOT THROTTLED.\n"
              "pitlane: Shards take any load; AWS would refuse it. Benchmarks only.\n"
              "pitlane: ############################################################",
              file=sys.stderr, flush=True)

    def upstream() -> http.client.HTTPConnection:
        # One kept-alive connection to kinesis-local per serving thread.
        if getattr(local, "connection", None) is None:
            connection = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
            connection.connect()
            # Headers and body go out in separate writes: without this, Nagle's
            # algorithm and delayed ACKs add 40 ms to every request.
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            local.connection = connection
        return local.connection

    class Front(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # as upstream(): no 40 ms per answer

        def log_message(self, *_):  # the tests' traffic is not worth a log line each
            pass

        def read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def answer(self, status: int, headers, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def refuse(self, error_type: str, message: str) -> None:
            body = json.dumps({"__type": error_type, "message": message}).encode()
            self.answer(400, [("Content-Type", "application/x-amz-json-1.1")], body)

        def exchange(self, body: bytes, target=None):
            """Sends the request (or, with `target`, another call with this
            request's credentials) to kinesis-local: (status, headers, body)."""
            dropped = ("host", "content-length", "transfer-encoding", "connection") + (
                ("x-amz-target",) if target else ())
            headers = {name: value for name, value in self.headers.items() if name.lower() not in dropped}
            if target is not None:
                headers["X-Amz-Target"] = target
            for attempt in (1, 2):
                connection = upstream()
                try:
                    connection.request("POST" if target else self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                    break
                except (ConnectionError, http.client.HTTPException):
                    # kinesis-local closed a kept-alive connection: open a fresh one once.
                    connection.close()
                    local.connection = None
                    if attempt == 2:
                        raise
            return response.status, response.getheaders(), data

        def forward(self, body: bytes) -> None:
            self.answer(*self.exchange(body))

        def ask(self, operation: str, request: dict):
            status, _, data = self.exchange(json.dumps(request).encode(), "Kinesis_20131202." + operation)
            return json.loads(data) if status == 200 else None

        def handle_request(self) -> None:
            body = self.read_body()
            target = self.headers.get("X-Amz-Target", "")
            check = CHECKS.get(target)
            request = None
            if check is not None or (throttled and target.startswith("Kinesis_20131202.")):
                try:
                    request = json.loads(body)
                except ValueError:
                    request = None  # not JSON: kinesis-local says what is wrong
                if not isinstance(request, dict):
                    request = None
            if check is not None and request is not None:
                problem = check(request)
                if problem is not None:
                    self.refuse(*problem)
                    return
            if request is None or not throttled:
                self.forward(body)
                return
            operation = target.rpartition(".")[2]
            metered = METERED.get(operation)
            if metered is not None:
                metered(self, body, request)
                return
            if operation in RESHARDS and stream_name(request):
                throughput.forget_shards(stream_name(request))
            self.forward(body)

        # Metered operations: each answers the request itself.

        def put_record(self, body: bytes, request: dict) -> None:
            stream = stream_name(request)
            shard, = throughput.admit_writes(stream, [request], self.ask)
            if shard is not None:
                self.refuse("ProvisionedThroughputExceededException", write_refusal(shard, stream))
                return
            self.forward(body)

        def put_records(self, body: bytes, request: dict) -> None:
            stream = stream_name(request)
            records = request.get("Records")
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                self.forward(body)  # kinesis-local says what is wrong with it
                return
            refused_by = throughput.admit_writes(stream, records, self.ask)
            if all(shard is None for shard in refused_by):
                self.forward(body)
                return
            # kinesis-local gets the accepted records only; the refused ones
            # are put back in their places in its answer.
            accepted = [record for record, shard in zip(records, refused_by) if shard is None]
            if accepted:
                status, headers, data = self.exchange(json.dumps({**request, "Records": accepted}).encode())
                if status != 200:
                    self.answer(status, headers, data)
                    return
                answer = json.loads(data)
            else:
                headers = [("Content-Type", "application/x-amz-json-1.1")]
                answer = {"FailedRecordCount": 0, "Records": []}
            results = iter(answer.get("Records", []))
            answer["Records"] = [
                next(results) if shard is None else {
                    "ErrorCode": "ProvisionedThroughputExceededException",
                    "ErrorMessage": write_refusal(shard, stream),
                }
                for shard in refused_by
            ]
            answer["FailedRecordCount"] = answer.get("FailedRecordCount", 0) + sum(
                shard is not None for shard in refused_by)
            self.answer(200, headers, json.dumps(answer).encode())

        def get_shard_iterator(self, body: bytes, request: dict) -> None:
            status, headers, data = self.exchange(body)
            if status == 200 and stream_name(request) and isinstance(request.get("ShardId"), str):
                throughput.remember_iterator(
                    json.loads(data).get("ShardIterator"), stream_name(request), request["ShardId"])
            self.answer(status, headers, data)

        def get_records(self, body: bytes, request: dict) -> None:
            shard = throughput.shard_of_iterator(request.get("ShardIterator"))
            if shard is None:
                self.forward(body)  # an iterator this front never handed out
                return
            stream, shard_id = shard
            if not throughput.admit_read(stream, shard_id):
                self.refuse("ProvisionedThroughputExceededException", read_refusal(shard_id, stream))
                return
            status, headers, data = self.exchange(body)
            if status == 200:
                answer = json.loads(data)
                throughput.count_read(stream, shard_id, data_bytes(answer.get("Records", [])))
                throughput.remember_iterator(answer.get("NextShardIterator"), stream, shard_id)
            self.answer(status, headers, data)

        do_POST = do_GET = do_PUT = do_DELETE = handle_request

    METERED = {
        "PutRecord": Front.put_record,
        "PutRecords": Front.put_records,
        "GetShardIterator": Front.get_shard_iterator,
        "GetRecords": Front.get_records,
    }
    throughput = Throughput()

    server = ThreadingHTTPServer((host, port), Front)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
