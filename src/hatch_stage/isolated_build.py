"""Building a wheel from a source tree in a fresh, isolated environment (pypa/build's approach).

A new virtual environment without any package, the project's declared build requirements
(``[build-system] requires``, then whatever the backend's ``get_requires_for_build_wheel``
asks for) installed into it by pip, and the backend's PEP 517 hooks called inside it through
``pyproject_hooks`` (the hook runner pip and pypa/build use). Nothing of the running
environment leaks in: no site-packages, no ``PYTHONPATH``.

This runs the project's build code (its backend, build hooks, ``setup.py``) on this machine.
Callers say so to the user. pip honours the user's own configuration (``PIP_INDEX_URL``,
``pip.conf``), so private indexes and offline wheelhouses work as they do for ``pip install``.

Also :func:`unpack_sdist`: an sdist is untrusted input, unpacked only through
:mod:`hatch_stage.archive` (no links, no ``..``, bounded sizes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import venv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyproject_hooks import BackendUnavailable, BuildBackendHookCaller, HookMissing

from .archive import iter_members
from .config import ScanLimits, tomllib
from .errors import PackError
from .models import Artifact

#: what PEP 517 says a project without ``[build-system]`` builds with
LEGACY_REQUIRES = ("setuptools>=40.8.0",)
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
#: how long installing build requirements or running a hook may take
TIMEOUT = 900


@dataclass(frozen=True)
class BuildSystem:
    """A project's ``[build-system]`` table."""

    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...] = ()

    @classmethod
    def of(cls, source: Path) -> BuildSystem:
        pyproject = source / "pyproject.toml"
        if not pyproject.is_file():
            return cls(LEGACY_REQUIRES, LEGACY_BACKEND)
        try:
            table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("build-system", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise PackError(f"{pyproject} is not valid TOML: {error}") from None
        if "build-backend" not in table:
            return cls(tuple(table.get("requires", LEGACY_REQUIRES)), LEGACY_BACKEND)
        return cls(tuple(table.get("requires", ())), str(table["build-backend"]),
                   tuple(table.get("backend-path", ())))


def _clean_environment() -> dict[str, str]:
    """This process's environment without what would let the running one leak into the build."""
    return {key: value for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_USER")}


class IsolatedEnvironment:
    """A throw-away virtual environment holding only what is installed into it."""

    def __init__(self, directory: Path) -> None:
        venv.EnvBuilder(with_pip=False, clear=True).create(directory)
        bindir = "Scripts" if sys.platform == "win32" else "bin"
        self.python = directory / bindir / ("python.exe" if sys.platform == "win32" else "python")

    def install(self, requirements: Sequence[str], why: str) -> None:
        """pip-install ``requirements`` (with this process's pip, into this environment)."""
        if not requirements:
            return
        command = [sys.executable, "-m", "pip", "--python", str(self.python), "install",
                   "--disable-pip-version-check", "--no-input", "--quiet", *requirements]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                                       env=_clean_environment(), stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PackError(f"installing the {why} ({', '.join(requirements)}) took longer "
                            f"than {TIMEOUT} s") from None
        if completed.returncode != 0:
            errors = [line for line in completed.stderr.splitlines()
                      if line.strip() and not line.startswith("WARNING: Location")]
            raise PackError(f"could not install the {why} ({', '.join(requirements)}): "
                            + " / ".join(errors[-5:]))

    def run_hook(self, cmd: Sequence[str], cwd: str | None = None,
                 extra_environ: Mapping[str, str] | None = None) -> None:
        """pyproject_hooks' runner: the hook's output goes to stderr, never to stdout (which
        belongs to ``--json``)."""
        environment = {**_clean_environment(), **(extra_environ or {})}
        try:
            completed = subprocess.run(list(cmd), cwd=cwd, env=environment, timeout=TIMEOUT,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PackError(f"the build backend ran longer than {TIMEOUT} s") from None
        if completed.returncode != 0:
            output = completed.stdout.decode(errors="replace").strip().splitlines()
            raise PackError("the build backend failed: " + " / ".join(output[-8:]))


def build_wheel(source: Path, out: Path) -> Path:
    """Build a wheel of the project at ``source`` into ``out`` in a fresh isolated environment;
    the wheel's path. Raises :class:`PackError` naming the backend and what failed."""
    system = BuildSystem.of(source)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hatch-stage-build-env-") as directory:
        environment = IsolatedEnvironment(Path(directory))
        environment.install(system.requires, "build requirements")
        hooks = BuildBackendHookCaller(
            str(source), system.backend, backend_path=list(system.backend_path) or None,
            python_executable=str(environment.python), runner=environment.run_hook)
        try:
            environment.install(hooks.get_requires_for_build_wheel({}),
                                f"requirements {system.backend} asks for")
            name = hooks.build_wheel(str(out), {})
        except (BackendUnavailable, HookMissing) as error:
            raise PackError(f"the build backend {system.backend} could not be used: "
                            f"{type(error).__name__}: {error}") from None
    return out / name


def unpack_sdist(artifact: Artifact, limits: ScanLimits, destination: Path) -> Path:
    """Write the members of an sdist under ``destination``; the project folder inside it.

    Members are read through :func:`hatch_stage.archive.iter_members` (links, absolute and
    ``..`` paths and oversized members refused), so nothing can land outside ``destination``.
    """
    tops: set[str] = set()
    for member in iter_members(artifact, limits):
        target = destination.joinpath(*member.name.replace("\\", "/").split("/"))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.data)
        except OSError as error:  # a member whose path is also a folder's, and the like
            raise PackError(f"{artifact.filename}: cannot unpack member {member.name!r}: "
                            f"{error.strerror}") from None
        tops.add(member.name.split("/", 1)[0])
    if len(tops) != 1 or not (destination / next(iter(tops))).is_dir():
        raise PackError(f"{artifact.filename} is not an sdist: it should hold exactly one "
                        f"top-level folder, not {sorted(tops)[:5]}")
    return destination / tops.pop()
