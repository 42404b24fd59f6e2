"""The TLS context of hatch-stage's HTTP clients, made when the first TLS connection needs it.

httpx2 makes its default TLS context (the system's certificate authorities, loaded into
OpenSSL) as soon as a client is made, whether the client ever speaks TLS or not: some 3 MiB of
memory and a few milliseconds. A registry reached over plain http (the local one, a test
server, one behind the operator's TLS proxy reached from inside) never needs it.
:class:`TLSOnFirstUse` stands in for that context: the first time a connection asks for TLS
it makes httpx2's own default context and hands every TLS operation to it, so what is
verified and against which authorities (``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` included) is
exactly httpx2's default.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any


class TLSOnFirstUse(ssl.SSLContext):
    """httpx2's default TLS context, made on first use (see the module docstring).

    httpcore2 calls three methods on the context it is given: ``set_alpn_protocols``,
    ``wrap_socket`` and ``wrap_bio``; each is passed to the real context.
    """

    _real: ssl.SSLContext | None
    _lock: threading.Lock

    def __new__(cls) -> TLSOnFirstUse:
        context = super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)
        context._real = None
        context._lock = threading.Lock()
        return context

    def __init__(self) -> None:
        pass  # everything is set up in __new__, as ssl.SSLContext does

    def real(self) -> ssl.SSLContext:
        """The context every TLS connection uses (made now if it was not yet)."""
        with self._lock:
            if self._real is None:
                import httpcore2

                self._real = httpcore2.default_ssl_context()
            return self._real

    @property
    def made(self) -> bool:
        """Whether a TLS connection has needed the real context yet."""
        return self._real is not None

    def set_alpn_protocols(self, alpn_protocols: Any) -> None:
        self.real().set_alpn_protocols(alpn_protocols)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> Any:
        return self.real().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> Any:
        return self.real().wrap_bio(*args, **kwargs)
