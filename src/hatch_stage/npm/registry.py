"""npm registry URLs and package names, as npm spells them on the wire and in ``.npmrc``."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from ..errors import ConfigError
from ..registry_choice import is_loopback

DEFAULT_REGISTRY = "https://registry.npmjs.org/"


def validate_registry(url: str) -> str:
    """``url`` as a registry base with one trailing slash, or a :class:`ConfigError` saying why not.

    HTTPS is required, except for a registry on this machine (loopback), which may use HTTP.
    Credentials, a query or a fragment in the URL are refused: tokens belong in ``.npmrc`` or
    the environment, where they are never echoed back.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        # not echoed: a malformed URL may still carry a token
        raise ConfigError("the npm registry URL is not a valid URL") from None
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            "the npm registry URL must not carry credentials: put the token in NPM_TOKEN or "
            "in .npmrc as //host/:_authToken=..."
        )
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
    if parts.query or parts.fragment or url.strip().endswith(("?", "#")):
        raise ConfigError(f"npm registry URL {shown} must not have a query or fragment")
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"npm registry URL {shown!r} must start with https:// and name a host")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(
            f"npm registry URL {shown} uses plain HTTP: use https:// (HTTP is allowed only for a "
            "registry on this machine, such as http://127.0.0.1:4873/)"
        )
    path = parts.path.rstrip("/") + "/"
    return f"{parts.scheme}://{parts.netloc.lower()}{path}"


def nerf_dart(registry: str) -> str:
    """The ``//host[:port]/path/`` key npm files a registry's settings under in ``.npmrc``."""
    parts = urlsplit(registry)
    return f"//{parts.netloc.lower()}{parts.path.rstrip('/')}/"


def registry_host(registry: str) -> str:
    """The host name alone, as trusted publishing puts it in the audience ``npm:<host>``."""
    return urlsplit(registry).hostname or ""


def escape_name(name: str) -> str:
    """The name as a URL path segment: ``@scope/pkg`` becomes ``@scope%2fpkg``, as npm sends it."""
    return quote(name, safe="@").replace("%2F", "%2f")
