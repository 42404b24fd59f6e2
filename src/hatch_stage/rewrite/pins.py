"""The specifier a workspace or catalog dependency is published with.

A :class:`Pinner` is built once per project. Called with one requirement as written in the
artifact, it answers the requirement to publish instead, or ``None`` to leave it as it is:

- marked ``workspace = true`` (hatch or uv sources): pinned to the member's current version,
  ``==`` / ``~=`` / ``>=`` by ``pin``; a specifier already written is kept when the member's
  version satisfies it and is an error when it does not;
- a bare dependency on a member of a hatch workspace with no source entry for it (hatch 1.16
  and 1.17 had no sources): pinned the same way; one with a specifier is left alone;
- marked ``catalog = true`` / ``catalog = "<name>"`` in ``[tool.hatch-stage.sources]``: the
  specifier of that catalog's entry (:mod:`.catalogs`).

Anything marked that cannot be resolved is a :class:`RewriteError` naming the dependency, the
member or catalog and where it looked.
"""

from __future__ import annotations

import re
import tempfile
from functools import cached_property
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..config import Config, parse_table
from ..errors import HatchStageError, RewriteError
from ..models import Project
from ..pep517 import built_version
from ..project import load_project
from .catalogs import Catalogs, CatalogSettings
from .workspace import Directory, Workspace, find_root

#: a requirement's name and extras, as written (PEP 508)
_HEAD = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\s*\[[^\]]*\])?")


def replace_specifier(requirement: str, specifier: str) -> str:
    """``requirement`` with a new version specifier; name, extras and marker stay as written."""
    head = _HEAD.match(requirement)
    end = head.end() if head else 0
    semicolon = requirement.find(";", end)
    semicolon = len(requirement) if semicolon == -1 else semicolon
    old = requirement[end:semicolon]
    return requirement[:end] + specifier + old[len(old.rstrip()) :] + requirement[semicolon:]


def pin_specifier(version: str, style: str) -> str:
    """The specifier pinning ``version`` in ``style`` ("exact", "compatible" or "minimum")."""
    if style == "exact":
        return f"=={version}"
    # PEP 440 forbids local labels in ~= and >=, and an index never holds local versions anyway
    public = Version(version).public
    if style == "minimum":
        return f">={public}"
    release = Version(public).release
    if len(release) == 1:  # ~= needs two release segments; keep its meaning: same major
        return f">={public},=={release[0]}.*"
    return f"~={public}"


def member_version(member: Path, config: Config) -> str:
    """The version of the project at ``member`` the way its own build computes it (dynamic
    versions too): what its files state, else what its build backend reports (setuptools-scm
    and the like). Raises the backend's error, or ``InvalidVersion``."""
    project = load_project(member, Config(target="python"))
    version = project.version
    if not version:
        settings = config.replace(target="python")
        with tempfile.TemporaryDirectory(prefix="hatch-stage-member-") as scratch:
            version = built_version(member, project.manifest, settings, Path(scratch))
    return str(Version(version))


def _workspace_sources(own: Directory, root: Directory | None) -> dict[str, tuple[bool, str]]:
    """normalized name -> (marked ``workspace = true``, where) for every source entry in force.

    Per tool the project's own entry for a name wins over the root's; across tools, a
    ``workspace = true`` from either counts.
    """
    entries: dict[str, tuple[bool, str]] = {}
    root_sources = root.workspace_sources() if root is not None else {}
    for tool, own_entries in own.workspace_sources().items():
        for name, (marked, where) in {**root_sources.get(tool, {}), **own_entries}.items():
            if marked or name not in entries:
                entries[name] = (marked, where)
    return entries


def _missing_note(workspace: Workspace) -> str:
    if not workspace.missing:
        return ""
    listed = ", ".join(str(path) for path in workspace.missing)
    return f"; listed member directories that are missing: {listed}"


class Pinner:
    """Decides, for one project, the published form of each workspace or catalog requirement."""

    def __init__(self, project: Project, config: Config) -> None:
        self._start = project.root.resolve()
        self._own_name = canonicalize_name(project.name)
        self._pin = config.pin
        self._config = config
        own_file = self._start / "pyproject.toml"
        self._root = find_root(self._start)
        # the project may be the workspace root itself; its settings are then read only once
        root = self._root if self._root is not None and self._root.path != self._start else None
        self._sources = _workspace_sources(Directory.read(self._start), root)
        places = [CatalogSettings(own_file, config.catalog, config.catalogs, config.sources)]
        if root is not None:
            root_file = root.path / "pyproject.toml"
            settings = parse_table(root.tool("hatch-stage"), f"[tool.hatch-stage] in {root_file}")
            places.append(
                CatalogSettings(
                    root_file,
                    settings.get("catalog", {}),
                    settings.get("catalogs", {}),
                    settings.get("sources", {}),
                )
            )
        self._catalogs = Catalogs(places)
        self._versions: dict[Path, str] = {}

    @property
    def active(self) -> bool:
        """Whether anything could be pinned at all (if not, the artifacts stay as they are)."""
        hatch_workspace = self._root is not None and "hatch" in self._root.workspace_tools
        return (
            hatch_workspace
            or bool(self._catalogs.marks)
            or any(marked for marked, _ in self._sources.values())
        )

    @cached_property
    def _workspace(self) -> Workspace | None:
        root = self._root
        return Workspace.of(root) if root is not None and root.workspace_tools else None

    def _workspace_mark(self, name: str) -> tuple[str, bool] | None:
        """(where the dependency is marked, explicitly?) when ``name`` is a workspace dependency."""
        marked, where = self._sources.get(name, (False, ""))
        if marked:
            return where, True
        workspace = self._workspace
        if name in self._sources or workspace is None or name not in workspace.hatch_members:
            return None
        return f"a member of the hatch workspace at {workspace.root}", False

    def __call__(self, text: str, where: str) -> str | None:
        """The requirement ``text`` (found at ``where``) to publish instead, or None to keep it."""
        head = _HEAD.match(text)
        name = canonicalize_name(head.group(1)) if head else ""
        if name == self._own_name:
            return None  # a project's extras naming itself ("app[cli]") stay as they are
        catalog_mark = self._catalogs.marks.get(name)
        workspace_mark = self._workspace_mark(name)
        if workspace_mark is None and catalog_mark is None:
            return None
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            raise RewriteError(f"{where}: cannot parse the requirement {text!r}: {error}") from None
        if workspace_mark and catalog_mark:
            raise RewriteError(
                f"{where}: {requirement.name} is both a workspace dependency ({workspace_mark[0]}) "
                f"and marked catalog ({catalog_mark[1]}); keep one of the two"
            )
        if requirement.url:
            return None  # a direct reference says exactly what to install; nothing to pin
        if workspace_mark:
            spec = self._workspace_spec(requirement, *workspace_mark, where=where)
        else:
            assert catalog_mark is not None
            spec = self._catalogs.specifier(requirement, *catalog_mark, where=where)
        return None if spec is None else replace_specifier(text, spec)

    def _version_of(self, member: Path) -> str:
        if member not in self._versions:
            try:
                self._versions[member] = member_version(member, self._config)
            except (HatchStageError, InvalidVersion) as error:
                raise RewriteError(
                    f"cannot read the version of workspace member {member}: {error}"
                ) from None
        return self._versions[member]

    def _workspace_spec(
        self, requirement: Requirement, marked_where: str, explicit: bool, where: str
    ) -> str | None:
        name = requirement.name
        workspace = self._workspace
        if workspace is None:
            raise RewriteError(
                f"{where}: {name} is marked workspace = true ({marked_where}), but no workspace "
                f"declares members at or above {self._start} (looked for [tool.uv.workspace] and "
                "hatch environments' workspace.members up to the repository root); declare the "
                "workspace or remove the source entry"
            )
        member = workspace.members.get(canonicalize_name(name))
        if member is None:
            absent = [(path, declared) for path, declared in workspace.missing.items()
                      if canonicalize_name(path.name) == canonicalize_name(name)]
            if absent:
                path, declared = absent[0]
                raise RewriteError(
                    f"{where}: {name} is marked workspace = true ({marked_where}) and the "
                    f"workspace lists it as a member ({declared}), but its directory {path} is "
                    "missing, so its version cannot be read: run this in a checkout of the "
                    "whole workspace (an unpacked sdist or a partial checkout lacks the other "
                    "members), or remove the source entry to publish the requirement as written"
                )
            known = ", ".join(sorted(workspace.members)) or "none"
            raise RewriteError(
                f"{where}: {name} is marked workspace = true ({marked_where}), but the workspace "
                f"at {workspace.root} has no member named {name} (members: {known}; declared by "
                f"{'; '.join(workspace.declared_in)}{_missing_note(workspace)}); add its "
                "directory to the members or remove the source entry"
            )
        if requirement.specifier and not explicit:
            return None  # no source entry asked for a pin; what the user wrote stands
        version = self._version_of(member)
        if not requirement.specifier:
            return pin_specifier(version, self._pin)
        if requirement.specifier.contains(version, prereleases=True):
            return None
        raise RewriteError(
            f"{where}: {requirement} does not allow {version}, the current version of workspace "
            f"member {name} ({member}); change the specifier or the member's version"
        )
