"""Two small HTTP servers on 127.0.0.1 the client tests start themselves:

- :class:`OidcEndpoint` plays GitHub Actions' ID-token service (``ACTIONS_ID_TOKEN_REQUEST_URL``):
  it answers ``{"value": <JWT>}`` signed by the test issuer's key, for the audience asked;
- :class:`FaultProxy` stands in front of the real registry and answers 503, resets the
  connection or cuts the answer's body off part way when its rule says so, else forwards the
  request unchanged (the Host header too, so the registry's links lead back through the proxy).

It sits in tests/ (not tests/client) so that the npm tests can put it in front of their
registries too.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from stagekit import github_jwt

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}


class BackgroundServer:
    """A ThreadingHTTPServer on a free loopback port, served from a daemon thread."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Any:
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # pytest shows the test's own output; access lines would only be noise

    def answer(self, status: int, content_type: str, body: bytes) -> None:
        """A whole answer: status, type, length and body."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# GitHub Actions' OIDC token service ---------------------------------------------------------

class _TokenHandler(_Quiet):
    def do_GET(self) -> None:
        endpoint: OidcEndpoint = self.server.owner  # type: ignore[attr-defined]
        if self.headers.get("Authorization", "") != f"bearer {endpoint.request_token}":
            self.send_error(401)
            return
        audience = parse_qs(urlsplit(self.path).query).get("audience", [""])[0]
        token = github_jwt(endpoint.key, endpoint.repository, audience=audience)
        endpoint.issued.append((audience, token))
        self.answer(200, "application/json", json.dumps({"value": token}).encode())


class OidcEndpoint(BackgroundServer):
    """Issues GitHub Actions-like OIDC tokens for ``repository`` to whoever shows the token."""

    handler = _TokenHandler

    def __init__(self, key: Any, repository: str, request_token: str) -> None:
        super().__init__()
        self.key = key
        self.repository = repository
        self.request_token = request_token
        #: (audience, JWT) of every token handed out
        self.issued: list[tuple[str, str]] = []

    def ci_environment(self) -> dict[str, str | None]:
        """The variables a GitHub Actions job with ``id-token: write`` has."""
        return {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.url}/token",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
        }


# the fault-injecting proxy ------------------------------------------------------------------

#: what a rule decides for one request: forward it, answer 503, reset the connection, or
#: forward it and answer 502 all the same (a gateway that lost the registry's answer)
FORWARD, UNAVAILABLE, RESET, LOST = "forward", "503", "reset", "lost"
#: forward it, then send the answer's status, headers and only the first part of its body
#: before closing the connection: framed by Content-Length, or chunked (the chunk's size
#: promises the whole body)
CUT, CUT_CHUNKED = "cut", "cut-chunked"
#: the answer whole, but labelled gzip when it is not (a proxy that mangles encodings)
GARBLED = "garbled"
Rule = Callable[[str, str], str]


def fail_each(times: int, action: str = UNAVAILABLE,
              matching: Callable[[str, str], bool] = lambda method, path: True) -> Rule:
    """Fail every distinct matching request ``times`` times, then let it through."""
    seen: dict[tuple[str, str], int] = {}
    lock = threading.Lock()

    def rule(method: str, path: str) -> str:
        if not matching(method, path):
            return FORWARD
        with lock:
            seen[(method, path)] = count = seen.get((method, path), 0) + 1
        return action if count <= times else FORWARD

    return rule


def fail_always(action: str = UNAVAILABLE,
                matching: Callable[[str, str], bool] = lambda method, path: True) -> Rule:
    return lambda method, path: action if matching(method, path) else FORWARD


class _ProxyHandler(_Quiet):
    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        proxy: FaultProxy = self.server.owner  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        action = proxy.rule(self.command, path)
        body = self._body()  # read it whatever happens, as a load balancer would
        proxy.log.append((self.command, path, action))
        if action == RESET:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if action == UNAVAILABLE:
            self._unavailable(503)
            return
        answer, content = self._forward(proxy, body)
        if action == LOST:
            self._unavailable(502)
            return
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP | {"content-length", "date", "server"}:
                self.send_header(key, value)
        if action == GARBLED:
            self.send_header("Content-Encoding", "gzip")
        if action not in (CUT, CUT_CHUNKED):
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
            return
        sent = content[:min(proxy.cut_after, len(content) // 2)]
        if action == CUT_CHUNKED:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n" % len(content) + sent)
        else:
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(sent)
        proxy.cut.append(len(sent))
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _unavailable(self, status: int) -> None:
        self.answer(status, "text/plain", b"upstream unavailable")

    def _forward(self, proxy: FaultProxy, body: bytes) -> tuple[http.client.HTTPResponse, bytes]:
        upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port,
                                              timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            return answer, answer.read()
        finally:
            upstream.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class FaultProxy(BackgroundServer):
    """A reverse proxy in front of ``upstream`` whose ``rule`` injects 503s, resets, lost
    answers and bodies cut off after ``cut_after`` bytes (at most half the body)."""

    handler = _ProxyHandler

    def __init__(self, upstream: str, rule: Rule, cut_after: int = 4096) -> None:
        super().__init__()
        parts = urlsplit(upstream)
        assert parts.hostname is not None and parts.port is not None
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.rule = rule
        self.cut_after = cut_after
        #: (method, path, action) of every request, in order
        self.log: list[tuple[str, str, str]] = []
        #: how many bytes of the body each cut answer sent
        self.cut: list[int] = []


# Sigstore's certificate authority ------------------------------------------------------------

class _FulcioHandler(_Quiet):
    def do_POST(self) -> None:
        fulcio: FulcioStandin = self.server.owner  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fulcio.requests.append((urlsplit(self.path).path,
                                self.headers.get("Authorization", ""), body))
        self.answer(503, "application/json",
                    b'{"code": 503, "message": "stand-in: no certificates issued here"}')


class FulcioStandin(BackgroundServer):
    """Stands where Fulcio (Sigstore's certificate authority) would: records each certificate
    request (path, Authorization header, body) and issues nothing. The real Fulcio and Rekor
    cannot be reached from here, so signing is tested up to this boundary."""

    handler = _FulcioHandler

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str, bytes]] = []

    def trust_config(self, directory: Any) -> Any:
        """A sigstore client trust config (what ``sigstore-trust-config`` names): the public
        trust root bundled with sigstore, with every signing service pointed here."""
        from importlib import resources
        from pathlib import Path
        from urllib.parse import quote

        store = resources.files("sigstore._store") / quote(
            "https://tuf-repo-cdn.sigstore.dev", safe="")
        signing = json.loads((store / "signing_config.v0.2.json").read_text())
        for services in ("caUrls", "rekorTlogUrls", "tsaUrls"):
            for service in signing[services]:
                service["url"] = self.url
        path = Path(directory) / "trust-config.json"
        path.write_text(json.dumps({
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": json.loads((store / "trusted_root.json").read_text()),
            "signingConfig": signing,
        }))
        return path
