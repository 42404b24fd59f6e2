"""The pnpm-style workspace a package belongs to: its members and its catalogs.

The root is the nearest directory, from the package up, that holds ``pnpm-workspace.yaml`` or
a ``package.json`` declaring ``workspaces`` or catalogs; the search stops at a repository
root (a directory with ``.git``). Members are the ``packages`` globs of pnpm-workspace.yaml
(else the root package.json's ``workspaces``), ``!pattern`` excluding, plus the root package.

Catalogs come from pnpm-workspace.yaml (``catalog`` is the default catalog, ``catalogs`` the
named ones) and from the root package.json (``catalog``/``catalogs``, also inside
``workspaces`` as Bun writes them). An entry defined twice with different ranges is an error.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RewriteError

WORKSPACE_FILE = "pnpm-workspace.yaml"
DEFAULT_CATALOG = "default"


@dataclass(frozen=True)
class Member:
    """One package of the workspace."""

    name: str
    #: None when the member's package.json has no version (a private tool, say)
    version: str | None
    directory: Path


@dataclass(frozen=True)
class Workspace:
    """A workspace root with its members by name and its catalogs by catalog name."""

    root: Path
    members: Mapping[str, Member]
    #: catalog name ("default" for ``catalog:``) -> dependency name -> range
    catalogs: Mapping[str, Mapping[str, str]]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise RewriteError(f"{path} is not readable JSON: {error}") from None
    if not isinstance(document, dict):
        raise RewriteError(f"{path} must hold a JSON object")
    return document


def _declares_workspace(package_json: Path) -> bool:
    if not package_json.is_file():
        return False
    try:
        document = json.loads(package_json.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and any(
        key in document for key in ("workspaces", "catalog", "catalogs")
    )


def find_root(start: Path) -> Path | None:
    """The workspace root above (or at) ``start``, or None when ``start`` is in no workspace."""
    for directory in (start, *start.parents):
        if (directory / WORKSPACE_FILE).is_file() or _declares_workspace(
            directory / "package.json"
        ):
            return directory
        if (directory / ".git").exists():
            return None
    return None


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RewriteError(f"{path} is not readable YAML: {error}") from None
    if not isinstance(document, dict):
        raise RewriteError(f"{path} must be a mapping (packages:, catalog:, catalogs:)")
    return document


def _patterns(value: Any, origin: str) -> list[str]:
    if isinstance(value, Mapping):  # yarn/bun: "workspaces": {"packages": [...]}
        value = value.get("packages", [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RewriteError(f"the workspace packages in {origin} must be a list of glob patterns")
    return value


def _member_dirs(root: Path, patterns: list[str]) -> Iterator[Path]:
    include = [p.rstrip("/") for p in patterns if not p.startswith("!")]
    exclude = [p[1:].rstrip("/") for p in patterns if p.startswith("!")]
    seen: set[Path] = {root}
    yield root
    for pattern in include:
        for directory in sorted(root.glob(pattern)):
            relative = directory.relative_to(root).as_posix()
            if (
                directory in seen
                or not (directory / "package.json").is_file()
                or "node_modules" in directory.relative_to(root).parts
                or any(fnmatch.fnmatch(relative, skip) for skip in exclude)
            ):
                continue
            seen.add(directory)
            yield directory


def _members(root: Path, patterns: list[str]) -> dict[str, Member]:
    members: dict[str, Member] = {}
    for directory in _member_dirs(root, patterns):
        if not (directory / "package.json").is_file():
            continue
        document = _read_json(directory / "package.json")
        name, version = document.get("name"), document.get("version")
        if not isinstance(name, str):
            continue  # an unnamed package cannot be depended on
        if name in members and members[name].directory != directory:
            raise RewriteError(
                f"two workspace members are named {name!r}: {members[name].directory} and "
                f"{directory}"
            )
        members[name] = Member(name, version if isinstance(version, str) else None, directory)
    return members


Catalogs = dict[str, dict[str, str]]


def _add_catalog(catalogs: Catalogs, catalog: str, entries: Any, origin: str) -> None:
    if not isinstance(entries, Mapping):
        raise RewriteError(f"catalog {catalog!r} in {origin} must map package names to ranges")
    target = catalogs.setdefault(catalog, {})
    for name, spec in entries.items():
        if not isinstance(spec, str) or not spec:
            raise RewriteError(f"catalog {catalog!r} entry {name!r} in {origin} must be a range")
        if spec.startswith(("workspace:", "catalog:")):
            raise RewriteError(f"catalog {catalog!r} entry {name!r} in {origin} cannot be {spec!r}")
        if name in target and target[name] != spec:
            raise RewriteError(
                f"catalog {catalog!r} defines {name!r} twice with different ranges "
                f"({target[name]!r} and {spec!r}, the second in {origin}); keep one"
            )
        target[str(name)] = spec


def _collect_catalogs(document: Mapping[str, Any], origin: str, catalogs: Catalogs) -> None:
    if "catalog" in document:
        _add_catalog(catalogs, DEFAULT_CATALOG, document["catalog"], origin)
    named = document.get("catalogs", {})
    if not isinstance(named, Mapping):
        raise RewriteError(f"catalogs in {origin} must map catalog names to catalogs")
    for catalog, entries in named.items():
        _add_catalog(catalogs, str(catalog), entries, origin)


def load(root: Path) -> Workspace:
    """Members and catalogs of the workspace whose root is ``root``."""
    catalogs: Catalogs = {}
    patterns: list[str] = []
    workspace_file = root / WORKSPACE_FILE
    if workspace_file.is_file():
        document = _read_yaml(workspace_file)
        patterns = _patterns(document.get("packages", []), str(workspace_file))
        _collect_catalogs(document, str(workspace_file), catalogs)
    package_json = root / "package.json"
    if package_json.is_file():
        manifest = _read_json(package_json)
        workspaces = manifest.get("workspaces")
        if not patterns and workspaces is not None:
            patterns = _patterns(workspaces, str(package_json))
        _collect_catalogs(manifest, str(package_json), catalogs)
        if isinstance(workspaces, Mapping):
            _collect_catalogs(workspaces, f"{package_json} workspaces", catalogs)
    return Workspace(root=root, members=_members(root, patterns), catalogs=catalogs)
