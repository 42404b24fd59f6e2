"""Registry URLs: which ones a token may be sent to, and where the embedded registry answers.

Shared by every client (the PEP 694 and npm targets, ``login``, the review commands) and by
the choice of registry; it imports nothing of the registry server, so a client that only
talks HTTP never loads it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

from .errors import ConfigError

LOOPBACK_NAMES = ("localhost",)
#: where ``hatch-stage serve`` listens by default: the embedded store's public face
SERVE_ADDRESS = "http://127.0.0.1:8694"


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def safe_url(url: str, what: str, token_hint: str) -> SplitResult:
    """``url`` split, if it is safe to send a token to; else a :class:`ConfigError`.

    HTTPS, or HTTP only on this machine (loopback); no credentials, query or fragment (tokens
    belong in the environment or a config file, where they are never echoed back). Messages
    never repeat the parts a token could hide in.

    :param what: what the URL is, for messages ("registry", "npm registry")
    :param token_hint: where the token goes instead, for the credentials message
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigError(f"the {what} URL is not a valid URL") from None
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"the {what} URL must not carry credentials: {token_hint}")
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ConfigError(f"{what} URL {shown} must not have a query or fragment")
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{what} URL {shown!r} must start with https:// and name a host")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(
            f"{what} URL {shown} uses plain HTTP: use https:// (HTTP is allowed only on this "
            "machine, such as http://127.0.0.1:8694/)"
        )
    return parts


def check_registry_url(url: str) -> str:
    """A Python stage registry URL that is safe to send a token to, without a trailing slash."""
    safe_url(url, "registry", "use HATCH_STAGE_TOKEN or hatch-stage login")
    return url.strip().rstrip("/")


def rebase(url: str, base: str, public_base: str) -> str:
    """``url`` under ``base`` moved to ``public_base``; other URLs unchanged."""
    return public_base + url[len(base) :] if url.startswith(base) else url
