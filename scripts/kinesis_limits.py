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

Usage: python kinesis_limits.py HOST PORT UPSTREAM_PORT
"""

import base64
import http.client
import json
import signal
import socket
import sys
import threading
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


def serve(host: str, port: int, upstream_port: int) -> None:
    local = threading.local()

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

        def forward(self, body: bytes) -> None:
            headers = {name: value for name, value in self.headers.items()
                       if name.lower() not in ("host", "content-length", "transfer-encoding", "connection")}
            for attempt in (1, 2):
                connection = upstream()
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                    break
                except (ConnectionError, http.client.HTTPException):
                    # kinesis-local closed a kept-alive connection: open a fresh one once.
                    connection.close()
                    local.connection = None
                    if attempt == 2:
                        raise
            self.answer(response.status, response.getheaders(), data)

        def handle_request(self) -> None:
            body = self.read_body()
            check = CHECKS.get(self.headers.get("X-Amz-Target", ""))
            if check is not None:
                try:
                    problem = check(json.loads(body))
                except ValueError:
                    problem = None  # not JSON: kinesis-local says what is wrong
                if problem is not None:
                    self.refuse(*problem)
                    return
            self.forward(body)

        do_POST = do_GET = do_PUT = do_DELETE = handle_request

    server = ThreadingHTTPServer((host, port), Front)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
