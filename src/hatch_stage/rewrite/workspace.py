"""Which workspace a project belongs to, who its members are, and which dependencies are members.

Two tools declare Python workspaces, and neither changes the metadata a member publishes:

- hatch 1.16+: ``workspace.members`` (and ``workspace.exclude``) of an environment, paths or
  globs relative to the project declaring them (``[tool.hatch.envs.<env>]`` in pyproject.toml,
  ``[envs.<env>]`` in hatch.toml). hatch 1.18 marks a dependency as a member with
  ``core = { workspace = true }`` in ``[tool.hatch.sources]`` or an environment's ``sources``.
- uv: ``[tool.uv.workspace] members``/``exclude`` at the root, and ``core = { workspace = true }``
  in ``[tool.uv.sources]`` of a member or of the root.

As in uv, the root's source entries apply to every member unless the member has its own entry
for that name (per tool). hatch 1.16 and 1.17 had no ``sources``: a member of a hatch workspace
is installed from the workspace whenever a project depends on it, so such a dependency counts as
a workspace dependency unless a source entry says otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..config import tomllib
from ..errors import ConfigError

_GLOB_CHARACTERS = "*?["


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML file at ``path``, or an empty table when there is none."""
    if not path.is_file():
        return {}
    try:
        document: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return document


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Directory:
    """What one directory's pyproject.toml (and hatch.toml) declare."""

    path: Path
    pyproject: Mapping[str, Any] = field(default_factory=dict)
    hatch_toml: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Directory:
        return cls(path, read_toml(path / "pyproject.toml"), read_toml(path / "hatch.toml"))

    @property
    def project_name(self) -> str | None:
        name = _table(self.pyproject.get("project")).get("name")
        return name if isinstance(name, str) and name else None

    def tool(self, name: str) -> Mapping[str, Any]:
        """The raw ``[tool.<name>]`` table of pyproject.toml (empty if none)."""
        return _table(_table(self.pyproject.get("tool")).get(name))

    def _hatch_tables(self) -> Iterator[tuple[Mapping[str, Any], str, Path]]:
        """hatch's configuration: (table, key prefix, file) for pyproject.toml and hatch.toml."""
        yield self.tool("hatch"), "tool.hatch.", self._file
        yield self.hatch_toml, "", self.path / "hatch.toml"

    @property
    def _file(self) -> Path:
        return self.path / "pyproject.toml"

    def member_patterns(self) -> Iterator[tuple[str, list[str], list[str], str]]:
        """Every declaration of workspace members here: (tool, members, exclude, where)."""
        uv_workspace = _table(self.tool("uv").get("workspace"))
        if "members" in uv_workspace:
            where = f"[tool.uv.workspace] in {self._file}"
            yield (
                "uv",
                _strings(uv_workspace.get("members")),
                _strings(uv_workspace.get("exclude")),
                where,
            )
        for hatch, prefix, file in self._hatch_tables():
            for env_name, env in _table(hatch.get("envs")).items():
                workspace = _table(_table(env).get("workspace"))
                if "members" not in workspace:
                    continue
                members = [
                    entry.get("path", "") if isinstance(entry, Mapping) else entry
                    for entry in workspace.get("members") or []
                ]
                where = f"[{prefix}envs.{env_name}.workspace] in {file}"
                yield "hatch", _strings(members), _strings(workspace.get("exclude")), where

    @property
    def workspace_tools(self) -> set[str]:
        """The tools ("hatch", "uv") declaring workspace members here."""
        return {tool for tool, *_ in self.member_patterns()}

    def workspace_sources(self) -> dict[str, dict[str, tuple[bool, str]]]:
        """Per tool ("hatch", "uv"): normalized name -> (is it ``workspace = true``, where)."""
        tools: dict[str, dict[str, tuple[bool, str]]] = {"hatch": {}, "uv": {}}
        uv_sources = _table(self.tool("uv").get("sources"))
        where = f"[tool.uv.sources] in {self._file}"
        for name, entry in uv_sources.items():
            # uv allows a list of sources split by markers; any workspace entry counts
            entries = entry if isinstance(entry, list) else [entry]
            marked = any(_table(item).get("workspace") is True for item in entries)
            tools["uv"][canonicalize_name(name)] = (marked, where)
        for hatch, prefix, file in self._hatch_tables():
            tables = [(_table(hatch.get("sources")), "sources")]
            tables += [
                (_table(_table(env).get("sources")), f"envs.{env_name}.sources")
                for env_name, env in _table(hatch.get("envs")).items()
            ]
            for sources, key in tables:
                for name, entry in sources.items():
                    marked = _table(entry).get("workspace") is True
                    normalized = canonicalize_name(name)
                    previous = tools["hatch"].get(normalized)
                    if previous is None or (marked and not previous[0]):
                        tools["hatch"][normalized] = (marked, f"[{prefix}{key}] in {file}")
        return tools


def _strings(value: Any) -> list[str]:
    return [item for item in value or [] if isinstance(item, str) and item]


def find_root(start: Path) -> Directory | None:
    """The workspace root for the project at ``start``.

    The nearest directory at or above ``start`` declaring workspace members; failing that, the
    nearest one above it with a ``[tool.hatch-stage]`` table (a shared catalog without a
    workspace tool). The search stops at the repository root (a directory holding ``.git``).
    """
    fallback = None
    for path in (start, *start.parents):
        directory = Directory.read(path)
        if directory.workspace_tools:
            return directory
        if fallback is None and path != start and directory.tool("hatch-stage"):
            fallback = directory
        if (path / ".git").exists():
            break
    return fallback


def _expand(root: Path, pattern: str) -> list[Path]:
    """Directories matching a member path or glob relative to ``root`` (``..`` allowed)."""
    parts = Path(os.path.normpath(root / pattern)).parts
    first_glob = next(
        (i for i, part in enumerate(parts) if any(c in part for c in _GLOB_CHARACTERS)), len(parts)
    )
    base, rest = Path(*parts[:first_glob]), parts[first_glob:]
    if not rest:
        return [base] if base.is_dir() else []
    return sorted(path for path in base.glob("/".join(rest)) if path.is_dir())


@dataclass(frozen=True)
class Workspace:
    """A workspace root and its members by normalized distribution name."""

    root: Path
    #: where the members are declared, for messages
    declared_in: tuple[str, ...]
    members: Mapping[str, Path]
    #: members that a hatch environment declares (hatch 1.16+ needs no sources entry for them)
    hatch_members: frozenset[str] = frozenset()
    #: member paths listed (no glob) whose directory is not there, e.g. in an unpacked sdist
    #: or a partial checkout: listed path -> where it was declared
    missing: Mapping[Path, str] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Directory) -> Workspace:
        members: dict[str, Path] = {}
        declared_in = []
        # the root project is a member too, as in both tools
        candidates = {root.path: set(root.workspace_tools)}
        missing: dict[Path, str] = {}
        for tool, patterns, excludes, where in root.member_patterns():
            declared_in.append(where)
            excluded = {path for pattern in excludes for path in _expand(root.path, pattern)}
            for pattern in patterns:
                expanded = _expand(root.path, pattern)
                if not expanded and not any(c in pattern for c in _GLOB_CHARACTERS):
                    missing[Path(os.path.normpath(root.path / pattern))] = where
                for path in expanded:
                    if path not in excluded:
                        candidates.setdefault(path, set()).add(tool)
        hatch_members = set()
        for path, tools in candidates.items():
            name = root.project_name if path == root.path else Directory.read(path).project_name
            if name is None:
                continue
            normalized = canonicalize_name(name)
            if normalized in members and members[normalized] != path:
                raise ConfigError(
                    f"two workspace members are named {name}: {members[normalized]} and {path}"
                )
            members[normalized] = path
            if "hatch" in tools:
                hatch_members.add(normalized)
        return cls(root.path, tuple(declared_in), members, frozenset(hatch_members), missing)
