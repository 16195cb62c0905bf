"""Stand-in entry point: `python -m tests.mongo_standin --host H --port P [--dbpath D] [--history-size N]`."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any

from tests.mongo_standin.commands import load_all
from tests.mongo_standin.engine import Engine
from tests.mongo_standin.server import StandinServer
from tests.mongo_standin.serverlog import RING


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.mongo_standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--dbpath", default=None, help="journal directory; memory only when omitted")
    parser.add_argument("--history-size", type=int, default=100_000, help="change events kept for resuming")
    return parser.parse_args(argv)


def _parsed(args: argparse.Namespace) -> dict[str, Any]:
    """The options as mongod's getCmdLineOpts nests them; test commands are always enabled."""
    parsed: dict[str, Any] = {
        "net": {"bindIp": args.host, "port": args.port},
        "replication": {"replSet": "rs0"},
        "setParameter": {"enableTestCommands": "1"},
    }
    if args.dbpath:
        parsed["storage"] = {"dbPath": args.dbpath}
    return parsed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    logging.getLogger().addHandler(RING)
    load_all()
    # Stored documents are long-lived and acyclic: with the default thresholds the cyclic collector
    # keeps re-walking every one of them while a big backlog is written (pauses of many ms).
    gc.set_threshold(100_000, 50, 100)
    engine = Engine(history_size=args.history_size, dbpath=args.dbpath)
    engine.options = {"argv": ["mongod", *sys.argv[1:]], "parsed": _parsed(args)}
    server = StandinServer(args.host, args.port, engine)

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() blocks until serve_forever returns, so it must run off the main thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logging.getLogger("tests.mongo_standin").info(
        "listening on %s:%d (%s)", args.host, args.port, args.dbpath or "memory only"
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        with engine.cond:
            if engine.journal is not None:
                engine.journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
