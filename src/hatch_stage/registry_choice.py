"""Which registry a command talks to: the configured one, or the embedded local registry.

With no registry configured, hatch-stage uses the local store that ``hatch-stage serve``
serves on this machine (``$HATCH_STAGE_HOME``, else ``~/.local/share/hatch-stage``): it starts
that registry in-process on a loopback port for the length of the command and talks to it
over HTTP exactly as it would to a remote one, so there is one code path and zero set-up.
The local user is its only user: it may approve without a one-time password.
"""

from __future__ import annotations

import atexit
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from .config import Config
from .errors import ConfigError, RegistryError
from .models import Credentials
from .output import register_secret

LOOPBACK_NAMES = ("localhost",)
#: where ``hatch-stage serve`` listens by default: the embedded store's public face
SERVE_ADDRESS = "http://127.0.0.1:8694"


@dataclass(frozen=True)
class ChosenRegistry:
    """A registry to talk to."""

    #: the base URL requests go to
    url: str
    #: credentials that come with the registry itself (the embedded one), else None
    credentials: Credentials | None = None
    #: what to call it in messages and --json
    label: str = ""
    #: True for the embedded local registry
    embedded: bool = False


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


class _Embedded:
    """The in-process registry server, started once per process."""

    lock = threading.Lock()
    chosen: ChosenRegistry | None = None

    @classmethod
    def start(cls) -> ChosenRegistry:
        with cls.lock:
            if cls.chosen is None:
                cls.chosen = cls._start()
            return cls.chosen

    @staticmethod
    def _start() -> ChosenRegistry:
        import uvicorn

        from .registry.app import create_app
        from .registry.server import bind
        from .registry.service import Registry

        registry = Registry.open()
        token = "hst_local_" + secrets.token_urlsafe(32)
        register_secret(token)
        sock = bind("127.0.0.1", 0)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(registry, base_url=url, local_token=token),
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name="hatch-stage-embedded-registry",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RegistryError(f"the local registry in {registry.location} did not start")
            time.sleep(0.01)

        def stop() -> None:
            server.should_exit = True
            thread.join(timeout=5)
            registry.close()

        atexit.register(stop)
        return ChosenRegistry(
            url,
            Credentials(token, "local", "__token__"),
            f"local ({registry.location})",
            embedded=True,
        )


def resolve_registry(config: Config) -> ChosenRegistry:
    """The registry named by settings, or the embedded local one."""
    if config.registry:
        url = check_registry_url(config.registry)
        return ChosenRegistry(url, None, url)
    return _Embedded.start()


def public_preview(chosen: ChosenRegistry, preview_url: str) -> str:
    """A preview URL as the user can reach it after this command ends.

    The embedded server lives only as long as the command; ``hatch-stage serve`` serves the
    same store afterwards at its default address.
    """
    return rebase(preview_url, chosen.url, SERVE_ADDRESS) if chosen.embedded else preview_url


def rebase(url: str, base: str, public_base: str) -> str:
    """``url`` under ``base`` moved to ``public_base``; other URLs unchanged."""
    return public_base + url[len(base) :] if url.startswith(base) else url
