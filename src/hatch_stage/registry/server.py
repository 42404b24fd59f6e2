"""Running the registry with uvicorn: bind, announce, serve, with tokens kept out of logs."""

from __future__ import annotations

import copy
import logging
import re
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from .app import create_app
from .service import Registry
from .worker import SWEEP_INTERVAL

_STAGE_TOKEN = re.compile(r"/stage/[^/?#\s]+")


class RedactStageTokens(logging.Filter):
    """Access log lines show ``/stage/***/`` instead of the stage capability token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_STAGE_TOKEN.sub("/stage/***", arg) if isinstance(arg, str)
                                else arg for arg in record.args)
        return True


def _log_config() -> dict[str, Any]:
    # uvicorn logs requests to stdout by default; stdout belongs to --json output
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    config["filters"] = {"redact": {"()": RedactStageTokens}}
    config["handlers"]["access"]["filters"] = ["redact"]
    return config


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one).

    The protocol is named: asyncio sets TCP_NODELAY on accepted connections only when it is
    ``IPPROTO_TCP``, and without it every reply on a kept-alive connection waited some 40 ms
    (Nagle's algorithm holding the body until the client's delayed ACK of the headers).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(registry: Registry, sock: socket.socket, *, base_url: str | None = None,
          log_level: str = "info", on_ready: Callable[[], None] | None = None,
          sweep_interval: float = SWEEP_INTERVAL) -> None:
    """Serve until interrupted (SIGINT/SIGTERM)."""
    app = create_app(registry, base_url=base_url, sweep_interval=sweep_interval)
    config = uvicorn.Config(app, log_level=log_level,
                            log_config=_log_config(), timeout_keep_alive=30,
                            server_header=False)
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready()
    server.run(sockets=[sock])
