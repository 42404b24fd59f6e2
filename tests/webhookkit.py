"""A real webhook receiver on 127.0.0.1 for the notification tests: it records every POST
(headers, raw body, when) and answers as its script says: a status code, or ``"hang"`` to
hold the request open until :meth:`Receiver.release` (or the registry's timeout).

A plain module beside stagekit.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any

from localservers import BackgroundServer
from stagekit import wait_until


@dataclass(frozen=True)
class Received:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def document(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return self.headers["x-hatch-stage-event"]

    @property
    def delivery(self) -> str:
        return self.headers["x-hatch-stage-delivery"]

    def signed_by(self, secret: str) -> bool:
        """Whether the signature header is the HMAC-SHA256 of the body with ``secret``, as a
        receiver checks it (constant-time compare)."""
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("x-hatch-stage-signature-256", ""))


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        receiver: Receiver = self.server.owner  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        answer = receiver.record(Received({k.lower(): v for k, v in self.headers.items()},
                                          body, time.monotonic()))
        if answer == "hang":
            receiver.hanging += 1
            receiver.released.wait(120)
            receiver.hanging -= 1
            answer = 200
        self.send_response(int(answer))
        self.send_header("Content-Length", "0")
        self.end_headers()


class Receiver(BackgroundServer):
    """Answers each POST with the next item of ``script`` (the last one repeats)."""

    handler = _Handler

    def __init__(self, script: Iterable[int | str] = (200,)) -> None:
        super().__init__()
        self.script = list(script)
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.hanging = 0

    @property
    def url(self) -> str:
        return f"{super().url}/hook"

    def record(self, request: Received) -> int | str:
        with self.lock:
            self.requests.append(request)
            index = min(len(self.requests), len(self.script)) - 1
            return self.script[index]

    def release(self) -> None:
        self.released.set()

    def events(self, project: str | None = None) -> list[str]:
        return [request.event for request in self.requests
                if project is None or request.document["project"] == project]

    def wait_for(self, count: int, project: str | None = None, timeout: float = 90,
                 what: str = "") -> list[Received]:
        """The first ``count`` requests (about ``project``), waiting for them."""
        def arrived() -> list[Received] | None:
            mine = [r for r in self.requests if project is None or r.document["project"] == project]
            return mine if len(mine) >= count else None

        found: list[Received] = wait_until(arrived, timeout,
                                           what or f"{count} webhook deliveries")
        return found

    def __enter__(self) -> Receiver:
        super().__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()  # a request held open would keep the server from shutting down
        super().__exit__(kind, value, traceback)
