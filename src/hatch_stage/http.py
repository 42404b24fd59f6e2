"""HTTP for every registry client: timeouts, bounded retries with backoff, masked errors.

A request is retried on connection errors, timeouts, 429 and 5xx answers, at most
``RETRIES`` more times, waiting ``BACKOFF * 2**attempt`` seconds (or the server's
``Retry-After``, capped) in between; the total stays bounded. Request bodies that are
streams must be rewindable (a file) for a retry to be possible: :func:`send` reopens them
through the ``body`` callable. A streamed answer read inside the attempt (``receive``, as
:func:`download` does) is retried the same way when its body is cut off part way.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx2

from . import __version__
from .errors import HatchStageError, RegistryError
from .models import READ_CHUNK
from .tls import TLSOnFirstUse

TIMEOUT = httpx2.Timeout(30.0, connect=10.0)
RETRIES = 3
BACKOFF = 0.5
MAX_WAIT = 10.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"hatch-stage/{__version__}"


def client(base_url: str = "", headers: Mapping[str, str] | None = None) -> httpx2.Client:
    """A client with hatch-stage's timeouts and user agent; its TLS context (httpx2's
    default) is made when a connection first needs it (:mod:`hatch_stage.tls`)."""
    return httpx2.Client(
        base_url=base_url,
        timeout=TIMEOUT,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=False,
        verify=TLSOnFirstUse(),
    )


def _wait(response: httpx2.Response | None, attempt: int) -> float:
    delay: float = BACKOFF * (2**attempt)
    if response is not None:
        header = str(response.headers.get("retry-after", ""))
        if header.isdigit():
            delay = float(header)
    return min(delay, MAX_WAIT)


def send(
    http: httpx2.Client,
    method: str,
    url: str,
    *,
    error: type[HatchStageError],
    what: str,
    body: Callable[[], Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stream: bool = False,
    idempotent: bool = True,
    receive: Callable[[httpx2.Response], object] | None = None,
    **kwargs: Any,
) -> httpx2.Response:
    """Send a request with bounded retries; returns the final response (any status).

    :param error: the error type raised when the registry cannot be reached at all
    :param what: what the request does, for the error message ("create the session")
    :param body: called before each attempt to produce ``content`` (e.g. reopen a file)
    :param stream: leave the final body unread (``iter_bytes`` it, then ``close`` the response)
    :param idempotent: False for requests that must not run twice (an approval carrying a
        one-time password): they are retried only when nothing reached the registry
    :param receive: reads the body of a 200 answer (streamed) within the attempt and closes
        it; a body cut off or a connection lost while it reads is retried like a request
        that failed (``receive`` must leave nothing behind when it fails). Other answers are
        returned unread, as with ``stream``.
    """
    response: httpx2.Response | None = None
    for attempt in range(RETRIES + 1):
        if body is not None:
            kwargs["content"] = body()
        receiving = False
        try:
            if stream or receive is not None:
                response = http.send(http.build_request(method, url, **kwargs), stream=True)
            else:
                response = http.request(method, url, **kwargs)
            if receive is not None and response.status_code == 200:
                receiving = True
                receive(response)
        except (httpx2.TransportError, httpx2.TimeoutException, httpx2.DecodingError) as failure:
            if "CERTIFICATE_VERIFY_FAILED" in str(failure):  # trying again will not help
                raise error(
                    f"could not {what}: the TLS certificate of {_origin(url, http)} is not "
                    "trusted; if the registry's certificate comes from a private authority, "
                    "set SSL_CERT_FILE to that authority's certificate file"
                ) from None
            unsent = isinstance(failure, (httpx2.ConnectError, httpx2.ConnectTimeout))
            if attempt == RETRIES or not (idempotent or unsent):
                tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                if isinstance(failure, httpx2.DecodingError):  # e.g. "gzip" bytes that are not
                    raise error(
                        f"could not {what}: the answer from {_origin(url, http)} could not be "
                        f"decoded as its Content-Encoding says ({tries}); nothing was kept; a "
                        "proxy between here and the registry may be altering answers"
                    ) from None
                if receiving:
                    raise error(
                        f"could not {what}: the connection to {_origin(url, http)} broke off "
                        f"before the whole body arrived ({type(failure).__name__}, {tries}); "
                        "nothing was kept; check your network and try again"
                    ) from None
                raise error(
                    f"could not {what}: {type(failure).__name__} talking to {_origin(url, http)} "
                    f"after {tries}; check the registry URL and your network"
                ) from None
            sleep(_wait(None, attempt))
            continue
        finally:
            content = kwargs.get("content")
            if body is not None and content is not None and hasattr(content, "close"):
                content.close()
        if response.status_code not in RETRY_STATUSES or attempt == RETRIES or not idempotent:
            return response
        response.close()
        sleep(_wait(response, attempt))
    assert response is not None  # the loop returns or raises before this
    return response


def _origin(url: str, http: httpx2.Client) -> str:
    merged = http.base_url.join(url) if http.base_url else httpx2.URL(url)
    return f"{merged.scheme}://{merged.host}" + (f":{merged.port}" if merged.port else "")


def problem_detail(response: httpx2.Response) -> str:
    """The human part of an error answer: problem+json detail/title, a JSON message, or text."""
    try:
        document = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] if text else response.reason_phrase
    if isinstance(document, dict):
        for key in ("detail", "message", "error", "title"):
            value = document.get(key)
            if isinstance(value, str) and value:
                return value
    return response.reason_phrase


def download(
    http: httpx2.Client,
    url: str,
    target: Path,
    algorithm: str,
    expected: str | None,
    *,
    what: str,
    refuse: Callable[[httpx2.Response], Exception],
    headers: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """GET ``url`` into ``target`` through :func:`save_verified`, with :func:`send`'s retries.

    A body cut off part way (the server or a proxy closed the connection early) is fetched
    again from the start, within the same bounded attempts as any failed request; after the
    last, a :class:`RegistryError` says so and ``target`` is untouched. An answer other than
    200 is read, closed and given to ``refuse``, whose error is raised.

    :param what: what the download is, for error messages ("download demo-1.0.tar.gz")
    """
    response = send(
        http, "GET", url, error=RegistryError, what=what, headers=dict(headers or {}),
        sleep=sleep,
        receive=lambda answer: save_verified(answer, target, algorithm, expected, what),
    )
    if response.status_code != 200:
        try:
            response.read()
        finally:
            response.close()
        raise refuse(response)
    return target


def save_verified(
    response: httpx2.Response, target: Path, algorithm: str, expected: str | None, what: str
) -> Path:
    """Stream a successful ``response`` into ``target``, kept only if its digest is ``expected``
    (what :func:`download` reads each answer with).

    The bytes go to a hidden ``.part`` file beside ``target`` (memory stays flat), which is
    renamed into place only once the whole body arrived with the right ``algorithm`` digest;
    on any failure nothing is left behind. ``expected`` None skips the comparison (the
    registry published no digest). The response is closed.
    """
    partial = target.with_name(f".{target.name}.part")
    digest = hashlib.new(algorithm)
    try:
        with partial.open("wb") as out:
            for chunk in response.iter_bytes(READ_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if expected is not None and actual != expected.lower():
            raise RegistryError(
                f"{what}: the downloaded bytes' {algorithm} {actual} does not match the "
                f"registry's {expected or '(none)'}; nothing was kept",
                code="hash_mismatch",
            )
        os.replace(partial, target)
    finally:
        response.close()
        partial.unlink(missing_ok=True)
    return target
