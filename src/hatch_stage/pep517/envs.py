"""Isolated build environments: cached per set of build requirements, or fresh for one build.

pypa/build makes a new virtual environment for every build and installs the backend into
it; a pre-commit hook cannot afford that on every commit. Here an environment is keyed by the
build requirements (as written, normalized and sorted) and the interpreter, created under a
lock the first time, and reused by every later run and every project with the same
requirements (:func:`build_env`). Requirements a backend asks for dynamically
(``get_requires_for_build_*``) are installed into the same environment, under the lock, when
it lacks them.

Building code under review (``hatch-stage verify``) takes a :func:`fresh_env` instead, made
the same way and deleted after the build: see its docstring for why a cached one will not do.

Creation is atomic as far as readers go: an environment counts as ready only once its
``hatch-stage-env.json`` is written, last; a half-made one (a crash, a full disk) is removed
and made again by the next run. Concurrent runs wait on a lock file beside it.

Packages are installed by pip, using the running interpreter's pip when it is recent enough
(``pip --python``, as build does, so the environment needs no pip of its own and the user's
pip configuration applies), else uv when it is on PATH, else a pip inside the environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import venv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import PackError
from .requirements import Unmet, unmet_requirements

#: overrides where hatch-stage keeps its caches (default: $XDG_CACHE_HOME/hatch-stage)
CACHE_VARIABLE = "HATCH_STAGE_CACHE_DIR"
READY = "hatch-stage-env.json"
#: bump when the layout of an environment changes, so old ones are not used
FORMAT = 1
#: pip learned ``--python`` in 22.3
OUTER_PIP = Version("22.3")
#: how long one install may take before it is given up (pip has its own network timeouts)
INSTALL_TIMEOUT = 30 * 60


class InstallFailed(PackError):
    """The installer could not install build requirements; the message holds its output."""


def cache_root() -> Path:
    """``$HATCH_STAGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/hatch-stage``, else ~/.cache/..."""
    if explicit := os.environ.get(CACHE_VARIABLE):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hatch-stage"


def _interpreter() -> list[str]:
    base = getattr(sys, "_base_executable", None) or sys.executable
    return [sys.implementation.name, sys.version, os.path.realpath(base)]


def normalized(requirements: Sequence[str]) -> list[str]:
    """Requirements written one way each, sorted: ``Hatch_VCS >= 0.3`` -> ``hatch-vcs>=0.3``."""
    written = set()
    for text in requirements:
        requirement = Requirement(text)
        requirement.name = canonicalize_name(requirement.name)
        written.add(str(requirement))
    return sorted(written)


def env_key(requirements: Sequence[str]) -> str:
    document = {"format": FORMAT, "requires": normalized(requirements), "python": _interpreter()}
    return hashlib.sha256(json.dumps(document).encode()).hexdigest()[:20]


def _paths(root: Path) -> dict[str, str]:
    variables = {"base": str(root), "platbase": str(root)}
    schemes = sysconfig.get_scheme_names()
    if "venv" in schemes:
        scheme = "venv"
    elif os.name == "nt":
        scheme = "nt"
    else:  # Debian's posix_local and macOS's framework schemes do not fit a venv
        scheme = "posix_prefix"
    return sysconfig.get_paths(scheme=scheme, vars=variables)


@dataclass(frozen=True)
class BuildEnv:
    """One ready build environment."""

    path: Path

    @property
    def python(self) -> Path:
        scripts = Path(_paths(self.path)["scripts"])
        return scripts / ("python.exe" if os.name == "nt" else "python")

    @property
    def site_packages(self) -> list[str]:
        paths = _paths(self.path)
        return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))

    def environ(self) -> dict[str, str]:
        """The environment variables a build in it runs with (its scripts first on PATH)."""
        scripts = str(self.python.parent)
        environ = dict(os.environ)
        environ["PATH"] = os.pathsep.join(filter(None, [scripts, environ.get("PATH")]))
        environ["VIRTUAL_ENV"] = str(self.path)
        # the running environment must not leak into the build
        environ["PYTHONPATH"] = ""
        environ.pop("PYTHONHOME", None)
        return environ

    def unmet(self, requirements: Sequence[str]) -> list[Unmet]:
        return unmet_requirements(requirements, self.site_packages)

    def ready(self) -> bool:
        return (self.path / READY).is_file() and self.python.exists()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if missing) held for the block, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        if sys.platform == "win32":
            import msvcrt
            import time

            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@cache
def _outer_pip() -> bool:
    """Whether this interpreter's own pip can install into another environment."""
    try:
        return Version(metadata.version("pip")) >= OUTER_PIP
    except (metadata.PackageNotFoundError, InvalidVersion):
        return False


@cache
def _uv() -> str | None:
    return shutil.which(os.environ.get("UV") or "uv")


def _tail(text: str, lines: int = 25) -> str:
    """The installer's own error lines if it wrote any (pip and uv mark them), else the tail."""
    kept = [line for line in text.splitlines() if line.strip()]
    # pip writes "ERROR: ...", uv "error: ..." under a "\u00d7" (multiplication sign)
    errors = [line for line in kept if line.lstrip().lower().startswith(("error", "\u00d7"))]
    return "\n".join((errors or kept)[-lines:])


def _install_command(env: BuildEnv, requirement_file: Path) -> list[str]:
    python = str(env.python)
    if _outer_pip():
        prefix = [sys.executable, "-m", "pip", "--python", python]
    elif (uv := _uv()) is not None:
        return [uv, "pip", "install", "--python", python, "-r", str(requirement_file)]
    else:
        prefix = [python, "-Im", "pip"]
    return [*prefix, "install", "--no-input", "--no-warn-script-location",
            "--disable-pip-version-check", "-r", str(requirement_file)]


def install(env: BuildEnv, requirements: Sequence[str]) -> None:
    """Install ``requirements`` into ``env``; :class:`InstallFailed` with the installer's output."""
    with tempfile.TemporaryDirectory(prefix="hatch-stage-requires-") as scratch:
        # a requirements file, not arguments: pip evaluates markers there
        requirement_file = Path(scratch) / "requirements.txt"
        requirement_file.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        environ = {**env.environ(), "PIP_USER": "0", "PIP_REQUIRE_VIRTUALENV": "0"}
        try:
            completed = subprocess.run(
                _install_command(env, requirement_file), env=environ, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                timeout=INSTALL_TIMEOUT, check=False,
            )
        except subprocess.TimeoutExpired:
            raise InstallFailed(f"installing {', '.join(requirements)} took over "
                                f"{INSTALL_TIMEOUT // 60} minutes") from None
        except OSError as error:
            raise InstallFailed(f"could not run the installer: {error}") from None
    if completed.returncode != 0:
        raise InstallFailed(_tail(completed.stdout) or f"the installer exited with status "
                            f"{completed.returncode}")


def _create(env: BuildEnv, requirements: Sequence[str]) -> None:
    shutil.rmtree(env.path, ignore_errors=True)  # a half-made one from an earlier crash
    own_pip = not _outer_pip() and _uv() is None
    try:
        venv.EnvBuilder(symlinks=os.name != "nt", with_pip=own_pip, clear=True).create(env.path)
    except (OSError, subprocess.CalledProcessError) as error:
        shutil.rmtree(env.path, ignore_errors=True)
        raise InstallFailed(f"could not create a virtual environment at {env.path}: {error}") \
            from None
    try:
        if requirements:
            install(env, requirements)
    except BaseException:
        shutil.rmtree(env.path, ignore_errors=True)
        raise
    ready = {"format": FORMAT, "requires": normalized(requirements), "python": _interpreter()}
    partial = env.path / (READY + ".partial")
    partial.write_text(json.dumps(ready, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, env.path / READY)


def build_env(
    requirements: Sequence[str], announce: Callable[[Path], None] | None = None
) -> BuildEnv:
    """The ready environment for ``requirements``, created (and announced) if there is none."""
    root = cache_root() / "build-envs"
    key = env_key(requirements)
    env = BuildEnv(root / key)
    if env.ready():
        return env
    with locked(root / f"{key}.lock"):
        if not env.ready():  # another run may have made it while this one waited
            if announce is not None:
                announce(env.path)
            _create(env, requirements)
    return env


@contextlib.contextmanager
def fresh_env(requirements: Sequence[str]) -> Iterator[BuildEnv]:
    """A new environment holding only ``requirements``, deleted when the block ends.

    For a build whose code is not trusted (a staged release under review): its build code runs
    with write access to its environment, so in a cached one it could leave a changed backend
    or a ``.pth`` file behind for every later build, the maintainer's own and later verifies;
    and a cached environment also holds what other projects' backends asked for. Here whatever
    the build does dies with it, and it sees exactly what its declared requirements resolve to.
    """
    with tempfile.TemporaryDirectory(prefix="hatch-stage-build-env-") as scratch:
        env = BuildEnv(Path(scratch) / "env")
        _create(env, requirements)
        yield env


def add_requirements(env: BuildEnv, requirements: Sequence[str]) -> None:
    """Install those of ``requirements`` that ``env`` lacks (a backend's dynamic ones)."""
    with locked(env.path.parent / f"{env.path.name}.lock"):
        missing = env.unmet(requirements)
        if missing:
            install(env, sorted({unmet.requirement for unmet in missing}))
