"""moto's server (the local DynamoDB), handling one request at a time.

`moto_server` serves requests on many threads at once. Its DynamoDB
transactions roll back by restoring a copy of the *whole* tables taken when
the transaction started, so a transaction cancelled in one thread undoes the
writes that other threads made meanwhile: counts go missing and conditional
puts succeed twice. (Seen with moto 5.2.5 and two shards' consumers writing
at once.) Real DynamoDB isolates transactions; here requests are simply
serialised, which keeps moto's answers exact. Connections are still served
on their own threads, so a kept-alive connection never blocks the others.

Usage: python moto_server.py HOST PORT
"""

import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialised(environ, start_response):
        with one_at_a_time:
            # The body is produced inside the lock, so that the whole request
            # (not just its start) runs alone.
            return list(app(environ, start_response))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_simple(host, port, serialised, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
