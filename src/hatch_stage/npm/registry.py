"""npm registry URLs and package names, as npm spells them on the wire and in ``.npmrc``."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from ..urls import safe_url

DEFAULT_REGISTRY = "https://registry.npmjs.org/"


def validate_registry(url: str) -> str:
    """``url`` as a registry base with one trailing slash, or a :class:`ConfigError` saying why not.

    HTTPS is required, except for a registry on this machine (loopback), which may use HTTP.
    Credentials, a query or a fragment in the URL are refused: tokens belong in ``.npmrc`` or
    the environment, where they are never echoed back.
    """
    parts = safe_url(url, "npm registry",
                     "put the token in NPM_TOKEN or in .npmrc as //host/:_authToken=...")
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
