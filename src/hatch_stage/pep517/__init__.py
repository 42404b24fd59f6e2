"""Building a Python project with its own PEP 517 build backend, as pip and build do.

:func:`build_project` builds the sdist and the wheel of any project with a PEP 517 backend
(hatchling, setuptools, flit, pdm, poetry-core, maturin, ...), in one of three ways:

1. **in process** (the fast path): plain hatchling whose every build requirement is already
   installed next to hatch-stage builds inside this process;
2. **isolated** (the default otherwise): in a build environment holding exactly the
   project's ``[build-system] requires`` (and what the backend asks for dynamically), created
   once, cached by requirements under the user cache directory and reused (:mod:`.envs`);
3. **without isolation** (``--no-isolation``, for offline use): in hatch-stage's own
   interpreter, after checking that everything the build needs is installed there.

:func:`rebuild_wheel` is ``hatch-stage verify``'s build of a staged sdist: the same hooks,
but in a *fresh* environment made for that one build and deleted after it (the code being
reviewed must not touch the cache every later build uses), and never in process.

A project whose wheel needs a compiler (:mod:`.native`) is checked on its sdist alone unless
``wheel`` is set. Every failure is a :class:`PackError` naming the project, the backend and
what is missing, with advice for the command that was run.
"""

from __future__ import annotations

import contextlib
import email.parser
import os
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..config import Config
from ..errors import PackError
from ..models import Artifact
from ..output import stderr
from .buildsystem import BuildSystem, read_build_system
from .inprocess import build_in_process, hatchling_metadata, in_process_ready, target_unmet
from .native import compiler_reason
from .requirements import Unmet, unmet_requirements

if TYPE_CHECKING:  # the isolated path's modules load when a build takes it (see _Build)
    from .envs import BuildEnv
    from .hooks import HookError, HookRun

__all__ = [
    "BuildSystem", "build_project", "built_version", "read_build_system", "rebuild_wheel",
    "unmet_requirements",
]

#: a backend may ask for more requirements after the first install; then it must be content
MAX_INSTALL_ROUNDS = 3
#: how long verify lets a staged sdist's build run (packing's builds are not bounded)
REBUILD_TIMEOUT = 15 * 60
#: where a build's hooks run: a cached environment, a fresh one, or this interpreter
Isolation = Literal["cached", "fresh", "none"]


def build_project(
    root: Path, manifest: Mapping[str, Any], config: Config, out: Path, notes: list[str]
) -> list[Artifact]:
    """Build the sdist and (unless it needs a compiler and ``config.wheel`` is off) the wheel."""
    system = read_build_system(root, manifest)
    kinds = ["sdist", "wheel"]
    reason = compiler_reason(root, system, manifest)
    if reason is not None and not config.wheel:
        kinds = ["sdist"]
        notes.append(
            f"checked the sdist only: the wheel needs a compiler ({reason}), which takes too "
            f"long for every check; pass --wheel to build it too, or name wheels built "
            f"elsewhere (hatch-stage {config.command} dist/*)"
        )
    return _Build.packing(root, system, config).run(kinds, out)


def built_version(root: Path, manifest: Mapping[str, Any], config: Config, scratch: Path) -> str:
    """The version the project at ``root`` would build as, asked of its own backend.

    For a version only the backend can tell (setuptools-scm, a version read from a module):
    ``prepare_metadata_for_build_wheel`` where the backend has it, else a wheel build.
    """
    build = _Build.packing(root, read_build_system(root, manifest), config)
    if in_process_ready(build.system):
        return hatchling_metadata(root)[1]
    built = build.run_hooks(["metadata"], scratch)["metadata"]
    if built.is_dir():
        text = (built / "METADATA").read_text(encoding="utf-8", errors="replace")
    else:
        with zipfile.ZipFile(built) as wheel:
            name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
            text = wheel.read(name).decode("utf-8", errors="replace")
    version = email.parser.HeaderParser().parsestr(text).get("Version", "")
    if not version:
        raise PackError(f"{build.backend} wrote no Version into the metadata of {root}")
    return str(version)


def rebuild_wheel(root: Path, manifest: Mapping[str, Any], out: Path) -> Path:
    """The wheel of the unpacked sdist at ``root``, built in a fresh environment holding only
    its declared build requirements (and what its backend asks for), for ``verify``.

    :raises ConfigError: its ``[build-system]`` is malformed
    :raises PackError: it does not build, naming the backend and what failed
    """
    build = _Build(root, read_build_system(root, manifest), "verify", "fresh")
    (wheel,) = build.artifacts(build.run_hooks(["wheel"], out), ["wheel"])
    return wheel.path


class _Build:
    """One project's build: which way it runs, and the errors it reports."""

    def __init__(self, root: Path, system: BuildSystem, command: str,
                 isolation: Isolation) -> None:
        self.root = root
        self.system = system
        self.isolation = isolation
        self.command = f"hatch-stage {command}"

    @classmethod
    def packing(cls, root: Path, system: BuildSystem, config: Config) -> _Build:
        """The pack stage's build, as ``config`` (``--no-isolation``) asks."""
        return cls(root, system, config.command, "cached" if config.isolation else "none")

    @property
    def backend(self) -> str:
        return f"{self.system.label} (build backend {self.system.backend})"

    def run(self, kinds: Sequence[str], out: Path) -> list[Artifact]:
        out.mkdir(parents=True, exist_ok=True)
        if in_process_ready(self.system):
            try:
                in_process = not target_unmet(self.root, kinds)
            except Exception as error:  # hatchling raises plain errors for bad configuration
                raise self._failed(str(error), "", kinds[0]) from None
            if in_process:
                try:
                    return build_in_process(self.root, out, kinds)
                except Exception as error:  # hatchling and build hooks raise anything
                    raise self._failed(str(error), "", "release") from None
        return self.artifacts(self.run_hooks(kinds, out), kinds)

    def run_hooks(self, kinds: Sequence[str], out: Path) -> dict[str, Path]:
        """kind -> the file (or metadata directory) the backend made, in or out of isolation."""
        out.mkdir(parents=True, exist_ok=True)
        if self.isolation == "none":
            static_unmet = unmet_requirements(self.system.requires)
            if static_unmet:
                raise self._not_installed(static_unmet)
            result = self._hooks(sys.executable, dict(os.environ), kinds, out, unmet_requirements)
            if result.missing:
                raise self._not_installed(result.missing)
            return result.built
        return self._isolated(kinds, out)

    def _environment(self) -> contextlib.AbstractContextManager[BuildEnv]:
        from .envs import build_env, fresh_env

        if self.isolation == "fresh":
            return fresh_env(self.system.requires)

        def announce(path: Path) -> None:
            what = ", ".join(self.system.requires) or "nothing (the backend is in the project)"
            stderr.print(f"hatch-stage: making a build environment for {self.root.name} with "
                         f"{what} (once; kept in {path.parent})", markup=False, highlight=False)

        return contextlib.nullcontext(build_env(self.system.requires, announce))

    def _isolated(self, kinds: Sequence[str], out: Path) -> dict[str, Path]:
        from .envs import InstallFailed, add_requirements

        try:
            with self._environment() as env:
                for _round in range(MAX_INSTALL_ROUNDS):
                    result = self._hooks(str(env.python), env.environ(), kinds, out, env.unmet)
                    if not result.missing:
                        return result.built
                    add_requirements(env, sorted({u.requirement for u in result.missing}))
        except InstallFailed as error:
            raise self._install_failed(str(error)) from None
        wanted = ", ".join(unmet.describe() for unmet in result.missing)
        raise PackError(f"{self.backend} keeps asking for requirements that installing did not "
                        f"satisfy: {wanted}")

    def _hooks(self, python: str, environ: dict[str, str], kinds: Sequence[str], out: Path,
               unmet: Any) -> HookRun:
        from .hooks import HookError, run_backend

        timeout = REBUILD_TIMEOUT if self.isolation == "fresh" else None
        try:
            return run_backend(python, self.root, self.system, kinds, out, environ, unmet,
                               timeout)
        except HookError as error:
            raise self._hook_error(error, kinds) from None

    def artifacts(self, built: dict[str, Path], kinds: Sequence[str]) -> list[Artifact]:
        """The built files as artifacts, in the order of ``kinds``."""
        artifacts = []
        for kind in kinds:
            path = built.get(kind)
            if path is None or not path.is_file():
                raise PackError(f"{self.backend} reported building the {kind} of {self.root} "
                                "but no file was written")
            artifacts.append(Artifact(path, kind))  # type: ignore[arg-type]
        return artifacts

    # errors, each saying what to do next

    def _stage_elsewhere(self) -> str:
        return f"or build the files another way and name them: {self.command} dist/*"

    def _next_step(self) -> str:
        if self.isolation == "fresh":
            return ("the staged wheel cannot be checked against an sdist that does not build "
                    "here; ask the maintainer how the wheel was built")
        return f"fix the build, {self._stage_elsewhere()}"

    def _failed(self, message: str, log: str, kind: str) -> PackError:
        hint = ""
        if self.system.backend.startswith("hatchling") and message.startswith("Unknown "):
            hint = ("; a hatchling plugin is missing: list the package that provides it in "
                    "[build-system] requires")
        shown = f"\n--- the backend's last output ---\n{log}\n---" if log else ""
        return PackError(
            f"{self.backend} could not build the {kind} of {self.root}: {message}{hint}{shown}\n"
            f"{self._next_step()}"
        )

    def _hook_error(self, error: HookError, kinds: Sequence[str]) -> PackError:
        kind = next((k for k in kinds if error.hook.endswith(k)), kinds[0])
        if error.what == "backend_unavailable":
            here = self.isolation == "none"
            where = "this environment (--no-isolation)" if here else "its build environment"
            advice = ("install the package that provides it, or drop --no-isolation" if here
                      else "[build-system] requires must list the package that provides it")
            return PackError(f"the build backend {self.system.backend!r} of {self.root} cannot "
                             f"be imported in {where} ({error.message}): {advice}")
        if error.what == "hook_missing":
            return PackError(f"the build backend {self.system.backend!r} of {self.root} has no "
                             f"{error.hook} hook, so it cannot build a {kind} (PEP 517)")
        return self._failed(error.message, error.log, kind)

    def _not_installed(self, missing: Sequence[Unmet]) -> PackError:
        wanted = "; ".join(unmet.describe() for unmet in missing)
        install = " ".join(f"'{r}'" for r in sorted({u.requirement for u in missing}))
        return PackError(
            f"{self.root} builds with {self.backend}; with --no-isolation its build "
            f"requirements must be installed next to hatch-stage ({sys.executable}), and "
            f"these are missing: {wanted}. Install them (python -m pip install {install}) or "
            f"run {self.command} without --no-isolation"
        )

    def _install_failed(self, output: str) -> PackError:
        from .envs import cache_root

        fresh = self.isolation == "fresh"
        failed = (f"could not install the build requirements of {self.root} "
                  f"({', '.join(self.system.requires)}, for {self.backend}) into a "
                  f"{'fresh ' if fresh else ''}build environment:\n{output}\n")
        if fresh:
            return PackError(f"{failed}{self.command} installs them from the package index "
                             "into a new environment for every build: check the network and "
                             "pip's index settings (PIP_INDEX_URL, pip.conf)")
        return PackError(
            f"{failed}hatch-stage installs them from the package index once and keeps them in "
            f"{cache_root() / 'build-envs'}: check the network and pip's index settings, or "
            f"install them next to hatch-stage and run {self.command} --no-isolation, "
            f"{self._stage_elsewhere()}"
        )
