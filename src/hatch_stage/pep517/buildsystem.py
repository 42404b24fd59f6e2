"""A project's ``[build-system]`` table (PEP 517 and 518), read the way pip and build read it.

No pyproject.toml, or one without ``[build-system]``, means setuptools' legacy backend with
``setuptools>=40.8.0``; a table without ``build-backend`` keeps its ``requires`` and gets the
legacy backend too. Anything malformed is a :class:`ConfigError` naming the file and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..errors import ConfigError

LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
LEGACY_REQUIRES = ("setuptools>=40.8.0",)
#: the one backend hatch-stage can also run inside its own process
HATCHLING = "hatchling.build"


@dataclass(frozen=True)
class BuildSystem:
    """What builds a project: the backend object and the requirements it needs installed."""

    #: the backend, ``module`` or ``module:object``
    backend: str
    #: PEP 508 requirements from ``[build-system] requires``
    requires: tuple[str, ...]
    #: directories inside the project to import an in-tree backend from
    backend_path: tuple[str, ...] = ()

    @property
    def in_process_capable(self) -> bool:
        """Whether this is plain hatchling, which hatch-stage can run without a subprocess."""
        return self.backend == HATCHLING and not self.backend_path

    @property
    def requirement_names(self) -> frozenset[str]:
        return frozenset(canonicalize_name(Requirement(r).name) for r in self.requires)

    @property
    def label(self) -> str:
        """The backend as a user would name it: ``setuptools.build_meta`` -> ``setuptools``."""
        return self.backend.partition(":")[0].partition(".")[0].replace("_", "-")


def _strings(value: Any, key: str, origin: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"[build-system] {key} in {origin} must be a list of strings")
    return tuple(value)


def read_build_system(root: Path, manifest: Mapping[str, Any]) -> BuildSystem:
    """The build system of the project at ``root`` whose parsed pyproject.toml is ``manifest``."""
    origin = root / "pyproject.toml"
    table = manifest.get("build-system")
    if table is None:
        return BuildSystem(LEGACY_BACKEND, LEGACY_REQUIRES)
    if not isinstance(table, Mapping):
        raise ConfigError(f"[build-system] in {origin} must be a table")
    if "requires" not in table:
        raise ConfigError(
            f"[build-system] in {origin} has no requires (PEP 518): list the packages the build "
            'needs, e.g. requires = ["hatchling"]'
        )
    requires = _strings(table["requires"], "requires", origin)
    for text in requires:
        try:
            Requirement(text)
        except InvalidRequirement as error:
            raise ConfigError(
                f"[build-system] requires in {origin}: {text!r} is not a valid requirement "
                f"({error})"
            ) from None
    backend = table.get("build-backend", LEGACY_BACKEND)
    if not isinstance(backend, str) or not backend.strip():
        raise ConfigError(f"[build-system] build-backend in {origin} must be a non-empty string")
    backend_path = _strings(table.get("backend-path", []), "backend-path", origin)
    for entry in backend_path:
        resolved = (root / entry).resolve()
        if not resolved.is_dir() or not resolved.is_relative_to(root.resolve()):
            raise ConfigError(
                f"[build-system] backend-path in {origin}: {entry!r} must be a directory inside "
                "the project"
            )
    return BuildSystem(backend.strip(), requires, backend_path)
