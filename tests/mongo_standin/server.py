"""Stand-in transport: a threaded TCP server, one thread per client connection."""

from __future__ import annotations

import itertools
import logging
import socket
import socketserver
from typing import Any

from tests.mongo_standin.dispatch import CloseConnection, run_command
from tests.mongo_standin.engine import Engine
from tests.mongo_standin.wire import ProtocolError, encode_reply, read_request

log = logging.getLogger(__name__)
_connection_ids = itertools.count(1)


class Connection:
    """What the server knows about one client connection."""

    def __init__(self, sock: socket.socket, host: str, port: int) -> None:
        self.sock = sock
        self.connection_id = next(_connection_ids)
        self.app_name: str | None = None
        self.message_size = 0  # of the request being served
        self.host = host
        self.port = port


class _Handler(socketserver.BaseRequestHandler):
    server: StandinServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(sock, self.server.public_host, self.server.public_port)
        engine = self.server.engine
        engine.connections[conn.connection_id] = conn
        engine.counters["connections_created"] += 1
        try:
            self._serve(sock, conn)
        finally:
            engine.connections.pop(conn.connection_id, None)

    def _serve(self, sock: socket.socket, conn: Connection) -> None:
        while True:
            try:
                request = read_request(sock)
            except (EOFError, ConnectionError, OSError):
                return
            except ProtocolError as exc:
                log.warning("connection %d: closing: %s", conn.connection_id, exc)
                return
            conn.message_size = request.size
            try:
                reply = run_command(self.server.engine, conn, request.body)
            except CloseConnection:
                return
            if request.more_to_come:
                continue  # unacknowledged (w: 0): the client reads no reply
            try:
                sock.sendall(encode_reply(request, reply))
            except OSError:
                return


class StandinServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, engine: Engine) -> None:
        self.engine = engine
        self.public_host = host
        self.public_port = port
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver calls this from inside its own except block, so the traceback is current.
        log.error("connection from %s failed", client_address, exc_info=True)  # noqa: LOG014
