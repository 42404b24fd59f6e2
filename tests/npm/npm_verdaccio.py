"""A real npm staging registry for the npm tests: Verdaccio 9 on Node 24, with npm 12 beside it.

One Verdaccio per test session (``flags: {stage: true, tfa: true}``), on a free port of
127.0.0.1, storage in a temporary directory. Its users:

- ``pat``: publishes first versions of packages (no 2FA), since staging cannot create one;
- ``maya`` and ``milo``: maintainers with TOTP 2FA enrolled; approve and reject need a code;
- ``stan``: may stage ``@team/*`` packages but not publish them (a stage-only token).

Verdaccio refuses a code whose 30 s step was already used by that user, and accepts the
steps either side of now; :class:`Authenticator` hands out codes of strictly increasing
steps, so up to three are ready at once and a wait happens only when a test needs more.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pyotp
from install_peers import Peers
from npm_helpers import write_package

PASSWORD = "correct-horse-battery"
STEP = 30
TEAM_SCOPE = "@team"

CONFIG = """\
storage: {storage}
auth:
  htpasswd:
    file: {storage}/htpasswd
    max_users: 100
uplinks: {{}}
packages:
  '{team}/*':
    access: $all
    publish: maya milo
    stage: $authenticated
  '**':
    access: $all
    publish: $authenticated
    stage: $authenticated
max_body_size: 50mb
listen: 127.0.0.1:{port}
log: {{type: stdout, format: pretty, level: warn}}
flags:
  stage: true
  tfa: true
"""


class Authenticator:
    """The authenticator app of one user: each code it gives is of a later step than the last."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step = -1
        self.last_code = ""

    def code(self) -> str:
        """A code the registry has not seen, waiting for the next 30 s step only when needed."""
        while True:
            now = time.time()
            current = int(now // STEP)
            # a code of the previous step is still accepted, unless that step is about to leave
            # the window before the request arrives
            earliest = current - 1 if now % STEP < STEP - 3 else current
            step = max(self.last_step + 1, earliest)
            if step <= current + 1:
                break
            time.sleep((current + 1) * STEP - now + 0.1)
        self.last_step = step
        self.last_code = self.totp.at(step * STEP)
        return self.last_code


@dataclass
class User:
    name: str
    token: str
    authenticator: Authenticator | None = None

    def otp(self) -> str:
        assert self.authenticator is not None, f"{self.name} has no 2FA"
        return self.authenticator.code()


@dataclass
class Registry:
    """The running Verdaccio and what the tests need to talk to it."""

    url: str
    peers: Peers
    users: dict[str, User] = field(default_factory=dict)
    home: Path = Path()

    def npm(self, args: Sequence[str], *, user: str | None = None, cwd: Path | None = None,
            check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run npm 12 on Node 24 against this registry only, as ``user`` (or anonymously)."""
        userconfig = self.home / f"npmrc-{user or 'anonymous'}"
        lines = [f"registry={self.url}", "update-notifier=false", "fund=false", "audit=false"]
        if user:
            host = urlsplit(self.url).netloc
            lines.append(f"//{host}/:_authToken={self.users[user].token}")
        userconfig.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {
            **os.environ,
            "NPM_CONFIG_USERCONFIG": str(userconfig),
            "NPM_CONFIG_CACHE": str(self.home / "npm-cache"),
            "PATH": f"{self.peers.node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        completed = subprocess.run(
            [*self.peers.npm(), *args, "--registry", self.url], cwd=cwd, env=env,
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )
        if check and completed.returncode != 0:
            raise AssertionError(
                f"npm {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}"
            )
        return completed

    def packument(self, name: str) -> dict[str, Any]:
        response = httpx2.get(f"{self.url}{name.replace('/', '%2f')}", timeout=10)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Verdaccio exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx2.get(f"{url}-/ping", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"Verdaccio did not answer within 30 s:\n{log.read_text(errors='replace')}")


def _add_user(url: str, name: str) -> str:
    response = httpx2.put(
        f"{url}-/user/org.couchdb.user:{name}",
        json={"name": name, "password": PASSWORD, "email": f"{name}@example.org"}, timeout=10,
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def _enrol(url: str, user: User) -> None:
    headers = {"Authorization": f"Bearer {user.token}"}
    begun = httpx2.post(f"{url}-/npm/v1/user", headers=headers, timeout=10,
                        json={"tfa": {"mode": "auth-and-writes", "password": PASSWORD}})
    assert begun.status_code == 200, begun.text
    secret = parse_qs(urlsplit(begun.json()["tfa"]).query)["secret"][0]
    user.authenticator = Authenticator(secret)
    done = httpx2.post(f"{url}-/npm/v1/user", headers=headers, timeout=10,
                       json={"tfa": [user.authenticator.code()]})
    assert done.status_code == 200 and isinstance(done.json()["tfa"], list), done.text


def publish_first_version(registry: Registry, directory: Path, user: str = "pat") -> None:
    """``npm publish`` as a user without 2FA, so a package exists and can be staged."""
    registry.npm(["publish"], user=user, cwd=directory)


@contextlib.contextmanager
def running_verdaccio(peers: Peers, home: Path) -> Iterator[Registry]:
    """Verdaccio on a free port with storage under ``home``; stopped when the block ends."""
    port = _free_port()
    storage = home / "storage"
    storage.mkdir()
    config = home / "config.yaml"
    config.write_text(CONFIG.format(storage=storage, port=port, team=TEAM_SCOPE), encoding="utf-8")
    log = home / "verdaccio.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(peers.node), str(peers.verdaccio), "--config", str(config)],
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=home,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, process, log)
        registry = Registry(url=url, peers=peers, home=home)
        for name in ("pat", "maya", "milo", "stan"):
            registry.users[name] = User(name, _add_user(url, name))
        # a team package must exist before anyone can stage it; only maintainers may publish it
        first = write_package(home / "team-first", {"name": f"{TEAM_SCOPE}/widget",
                                                    "version": "1.0.0"}, {"index.js": ""})
        publish_first_version(registry, first, user="maya")
        for name in ("maya", "milo"):
            _enrol(url, registry.users[name])
        yield registry
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(storage, ignore_errors=True)
