"""Fault-test helper: a loopback TCP proxy whose link can be cut (connections reset) or frozen (half-open)."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``.

    ``cut()`` breaks the link until ``restore()``: open connections are reset, new ones refused,
    as when a server or a firewall rejects them. ``freeze()`` is a partition instead: bytes and
    closes stop crossing in both directions, but nobody is told — the server keeps a session whose
    client is gone (a half-open TCP connection) — until ``thaw()`` lets everything flow on as
    before or ``sever()`` resets what was frozen and lets new connections through again.
    """

    def __init__(self, target_host: str, target_port: int, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = int(self._listener.getsockname()[1])
        self._cut = threading.Event()
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    @property
    def is_frozen(self) -> bool:
        return not self._flowing.is_set()

    def cut(self) -> None:
        """Reset every open connection and drop new ones, as if the network went away."""
        self._cut.set()
        self._close_all()

    def restore(self) -> None:
        self._cut.clear()

    def freeze(self) -> None:
        """Stop every byte and every close in both directions, telling neither side."""
        self._flowing.clear()

    def thaw(self) -> None:
        """The partition heals: whatever was held back is delivered, in order."""
        self._flowing.set()

    def sever(self) -> None:
        """End a freeze by resetting the frozen connections (their sessions are long gone)."""
        self._close_all()
        self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        self._close_all()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                self._reset(client)
                continue
            if not self._flowing.is_set():
                # Behind a partition the server never sees this connection: hold it, unanswered.
                self._track(client)
                threading.Thread(target=self._connect_later, args=(client,), daemon=True).start()
                continue
            self._connect(client)

    def _connect_later(self, client: socket.socket) -> None:
        self._flowing.wait()
        with self._lock:
            still_open = client in self._sockets
        if still_open and not self._closed.is_set():
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self._forget(client)
            return
        upstream.settimeout(None)
        self._track(client, upstream)
        if self._cut.is_set():  # cut() ran while this connection was being set up
            self._close_all()
            return
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()  # frozen: hold the bytes, as a network that drops packets would
                sink.sendall(data)
        except OSError:
            pass  # the other direction, cut() or sever() closed the pair; both are ended below
        finally:
            self._flowing.wait()  # frozen: a close does not cross the partition either
            self._forget(source)
            self._forget(sink)

    def _track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._sockets.update(sockets)

    def _close_all(self) -> None:
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            self._reset(sock)

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        self._reset(sock)

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        # shutdown() first: close() alone does not end a recv() blocked in another thread, and the
        # connection would quietly live on. SO_LINGER 0 makes the close a reset.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()
