"""One-time-password challenges from an npm registry, and npm's web authentication flow.

A registry asks for a second factor with ``401`` and ``WWW-Authenticate: otp`` (or, from
older servers, a body that mentions a one-time password): the client resends with the code
in the ``npm-otp`` header. When the body also carries ``authUrl`` and ``doneUrl``, the
registry offers the web flow instead: the user opens ``authUrl``; ``doneUrl`` answers
``202`` (with ``Retry-After``) until they finish, then ``200 {"token": ...}``, and that
token is sent as the one-time password.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx2

from .. import http
from ..errors import AuthError
from ..output import register_secret

OTP_HEADER = "npm-otp"
WEB_TIMEOUT = 300.0
POLL_MIN, POLL_MAX = 1.0, 10.0


def is_challenge(response: httpx2.Response) -> bool:
    """Whether ``response`` asks for a one-time password (npm's EOTP)."""
    if response.status_code != 401:
        return False
    header = response.headers.get("www-authenticate", "")
    schemes = [part.strip().lower() for part in header.split(",")]
    return "otp" in schemes or "one-time pass" in response.text.lower()


def _http_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("https", "http") and parts.hostname else None


def web_urls(response: httpx2.Response) -> tuple[str, str] | None:
    """``(authUrl, doneUrl)`` when a challenge offers the web flow, else None."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    auth_url, done_url = _http_url(body.get("authUrl")), _http_url(body.get("doneUrl"))
    return (auth_url, done_url) if auth_url and done_url else None


@dataclass(frozen=True)
class WebAuth:
    """How to take a user through the web flow: show them the URL, then wait a bounded time."""

    #: shows (or opens) the authentication URL for the user
    show: Callable[[str], None]
    #: how long to wait for the user to finish, in seconds
    timeout: float = WEB_TIMEOUT
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def _same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


def wait_for_token(session: httpx2.Client, done_url: str, registry: str, auth: WebAuth,
                   headers: dict[str, str]) -> str:
    """Poll ``done_url`` until the user finished in the browser; the one-time token.

    The registry token goes along only when ``done_url`` is on the registry's own origin.
    """
    headers = headers if _same_origin(done_url, registry) else {}
    deadline = auth.clock() + auth.timeout
    while True:
        answer = http.send(session, "GET", done_url, headers=headers, error=AuthError,
                           what="check whether the web authentication is done")
        if answer.status_code == 200:
            try:
                token = answer.json().get("token")
            except (ValueError, AttributeError):
                token = None
            if not isinstance(token, str) or not token:
                raise AuthError("the web authentication finished without a token; try --otp")
            register_secret(token)
            return token
        if answer.status_code != 202:
            raise AuthError(f"the web authentication failed ({answer.status_code}: "
                            f"{http.problem_detail(answer)}); try --otp instead")
        header = answer.headers.get("retry-after", "")
        wait = min(max(float(header) if header.isdigit() else POLL_MIN, POLL_MIN), POLL_MAX)
        if auth.clock() + wait > deadline:
            raise AuthError(
                f"the web authentication was not completed within {auth.timeout:.0f} s; "
                "run the command again, or pass --otp CODE"
            )
        auth.sleep(wait)


def terminal_web_auth() -> WebAuth:
    """Web flow for a person at a terminal: the URL on stderr, and a browser when there is one."""
    from ..output import stderr

    def show(url: str) -> None:
        stderr.print(f"Authenticate in your browser to continue: {url}", markup=False,
                     highlight=False)
        try:
            import webbrowser

            webbrowser.open(url)
        except Exception:  # no browser is fine: the URL is printed
            pass

    return WebAuth(show=show)
