"""The members of the workspace a release set is made of, for either target.

Python: the members a hatch (1.16+) or uv workspace declares (:mod:`hatch_stage.rewrite.
workspace`), the root project included. npm: the packages of a pnpm or npm workspace
(:mod:`hatch_stage.npm.workspace`), the root package included.

A member is **private** (never published, listed as skipped) when it says so the way its
ecosystem does: npm's ``"private": true``; for Python the classifier ``Private :: Do Not
Upload`` (which PyPI refuses to publish) or uv's ``[tool.uv] package = false``. An npm
member without a version cannot be published either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..errors import ConfigError
from ..npm import workspace as npm_workspace
from ..project import read_manifest
from ..rewrite import workspace as python_workspace

#: the classifier that tells PyPI (and hatch-stage) never to publish a project
PRIVATE_CLASSIFIER = "Private :: Do Not Upload"


@dataclass(frozen=True)
class Member:
    """One project of the workspace."""

    #: the name as the project declares it
    name: str
    #: the name compared with others (PEP 503 normalized for Python, as written for npm)
    key: str
    directory: Path
    #: why it is never published, or None
    private: str | None = None


@dataclass(frozen=True)
class Workspace:
    """A workspace root and its members, in a stable order (by directory)."""

    root: Path
    target: str
    members: tuple[Member, ...]

    def key(self, name: str) -> str:
        """``name`` as member names are compared."""
        return canonicalize_name(name) if self.target == "python" else name

    def find(self, name: str) -> Member | None:
        wanted = self.key(name)
        return next((member for member in self.members if member.key == wanted), None)

    def names(self) -> str:
        return ", ".join(member.name for member in self.members) or "none"


def _python_private(manifest: dict[str, Any]) -> str | None:
    project = manifest.get("project")
    classifiers = project.get("classifiers", []) if isinstance(project, dict) else []
    if isinstance(classifiers, list) and PRIVATE_CLASSIFIER in classifiers:
        return f"classifier {PRIVATE_CLASSIFIER!r}"
    tool = manifest.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    if isinstance(uv, dict) and uv.get("package") is False:
        return "[tool.uv] package = false"
    return None


def _python(start: Path) -> Workspace:
    root = python_workspace.find_root(start)
    if root is None or not root.workspace_tools:
        raise ConfigError(
            f"{start} is in no Python workspace: --workspace needs a hatch workspace "
            "(workspace.members of an environment) or a uv workspace ([tool.uv.workspace] "
            "members) at or above it")
    found = python_workspace.Workspace.of(root)
    if found.missing:
        listed = ", ".join(str(path) for path in found.missing)
        raise ConfigError(f"the workspace at {root.path} lists member directories that are "
                          f"missing: {listed}")
    members = []
    for key, directory in sorted(found.members.items(), key=lambda item: str(item[1])):
        manifest = read_manifest(directory, "python")
        name = str(manifest.get("project", {}).get("name") or key)
        members.append(Member(name, key, directory, _python_private(manifest)))
    return Workspace(root.path, "python", tuple(members))


def _npm(start: Path) -> Workspace:
    root = npm_workspace.find_root(start)
    if root is None:
        raise ConfigError(
            f"{start} is in no npm workspace: --workspace needs {npm_workspace.WORKSPACE_FILE} "
            "or a package.json with workspaces at or above it")
    found = npm_workspace.load(root)
    members = []
    for member in sorted(found.members.values(), key=lambda item: str(item.directory)):
        manifest = read_manifest(member.directory, "npm")
        private = None
        if manifest.get("private") is True:
            private = '"private": true'
        elif member.version is None:
            private = "no version in package.json"
        members.append(Member(member.name, member.name, member.directory, private))
    return Workspace(root, "npm", tuple(members))


def discover(start: Path, target: str) -> Workspace:
    """The workspace at or above ``start`` for ``target`` ("python" or "npm")."""
    workspace = _npm(start) if target == "npm" else _python(start)
    if not workspace.members:
        raise ConfigError(f"the workspace at {workspace.root} has no members with a name")
    return workspace


def select(workspace: Workspace, only: Sequence[str],
           exclude: Sequence[str]) -> tuple[list[Member], list[tuple[Member, str]]]:
    """The members chosen for release, and the others with why they are left out.

    ``only`` and ``exclude`` name members (an unknown name is an error listing them);
    private members are always left out.
    """
    for name in (*only, *exclude):
        if workspace.find(name) is None:
            raise ConfigError(f"{name!r} is not a member of the workspace at {workspace.root} "
                              f"(members: {workspace.names()})")
    wanted = {workspace.key(name) for name in only}
    unwanted = {workspace.key(name) for name in exclude}
    chosen: list[Member] = []
    left_out: list[tuple[Member, str]] = []
    for member in workspace.members:
        if member.private:
            left_out.append((member, f"private ({member.private})"))
        elif member.key in unwanted:
            left_out.append((member, "excluded (--exclude)"))
        elif wanted and member.key not in wanted:
            left_out.append((member, "not selected (--only)"))
        else:
            chosen.append(member)
    return chosen, left_out
