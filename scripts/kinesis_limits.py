"""A front for kinesis-local (the local Kinesis) that refuses what AWS refuses.

kinesis-local checks a record's partition key (1 to 256 characters) and its
size (1 MiB), as AWS does, but it accepts a PutRecords call of any length
and any total size. AWS refuses more than 500 records in one call, and more
than 5 MiB in all (data and partition keys). A producer that batches wrongly
would pass every local test and fail on its first day on AWS, so this front
refuses those calls the way AWS does (HTTP 400, the same error type and
message), and passes every other request through unchanged.

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


def put_records_problem(body: dict):
    """The (error type, message) AWS answers a PutRecords request with, or None."""
    records = body.get("Records")
    if not isinstance(records, list):
        return None  # kinesis-local answers malformed requests itself
    if len(records) > MAX_RECORDS_PER_PUT_RECORDS:
        return (
            "ValidationException",
            "1 validation error detected: Value at 'records' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_RECORDS_PER_PUT_RECORDS}",
        )
    total = 0
    for record in records:
        if not isinstance(record, dict):
            return None
        try:
            data = base64.b64decode(record.get("Data", ""), validate=True)
        except (ValueError, TypeError):
            return None
        total += len(data) + len(str(record.get("PartitionKey", "")).encode())
    if total > MAX_PUT_RECORDS_BYTES:
        return (
            "InvalidArgumentException",
            f"Records size exceeds {MAX_PUT_RECORDS_BYTES // (1024 * 1024)} MB limit",
        )
    return None


CHECKS = {"Kinesis_20131202.PutRecords": put_records_problem}


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
