"""Which registry a command talks to: the configured one, or the embedded local registry.

With no registry configured, hatch-stage uses the local store that ``hatch-stage serve``
serves on this machine (``$HATCH_STAGE_HOME``, else ``~/.local/share/hatch-stage``): it starts
that registry in-process on a loopback port for the length of the command and talks to it
over HTTP exactly as it would to a remote one, so there is one code path and zero set-up.
The local user is its only user: it may approve without a one-time password.

Which URLs are safe to send a token to is :mod:`hatch_stage.urls`' business, so clients that
only talk HTTP never import this module (and through it the registry server).
"""

from __future__ import annotations

import atexit
import secrets
import threading
import time
from dataclasses import dataclass

from .config import Config
from .errors import RegistryError
from .models import Credentials
from .output import register_secret
from .urls import SERVE_ADDRESS, check_registry_url, rebase


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
