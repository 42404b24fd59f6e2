"""Turning ``workspace:`` and ``catalog:`` ranges into ranges any npm client understands.

pnpm's semantics, in the four dependency fields of a manifest:

- ``workspace:*`` (or ``workspace:``) -> the member's exact version; ``workspace:^`` ->
  ``^<version>``; ``workspace:~`` -> ``~<version>``; ``workspace:<range>`` -> the range;
  ``workspace:<path>`` -> the exact version of the member in that directory;
  ``workspace:<other>@<one of those>`` -> ``npm:<other>@<resolved>`` (an alias).
- ``catalog:`` (or ``catalog:default``) -> the default catalog's entry for the dependency;
  ``catalog:<name>`` -> the entry in the named catalog.

A member, catalog or entry that does not exist is an error, never a silent pass. The manifest
text is edited in place: only the rewritten values change, every other byte stays.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import RewriteError
from .workspace import DEFAULT_CATALOG, Member, Workspace

DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
PROTOCOLS = ("workspace:", "catalog:")

_decoder = json.JSONDecoder()
_SPACE = " \t\n\r"


@dataclass(frozen=True)
class Change:
    """One dependency range that was rewritten."""

    field: str
    name: str
    old: str
    new: str


def _member(workspace: Workspace, name: str, dependent: str) -> Member:
    member = workspace.members.get(name)
    if member is None:
        raise RewriteError(
            f"{dependent} depends on {name!r} through workspace:, but no package of the workspace "
            f"at {workspace.root} is named {name!r}"
        )
    if member.version is None:
        raise RewriteError(f"workspace member {name!r} ({member.directory}) has no version to pin")
    return member


def _by_path(workspace: Workspace, relative: str, base: Path, dependent: str) -> Member:
    directory = (base / relative).resolve()
    for member in workspace.members.values():
        if member.directory.resolve() == directory:
            return _member(workspace, member.name, dependent)
    raise RewriteError(f"{dependent}: workspace:{relative} is no workspace package ({directory})")


def _pin(version: str, range_: str) -> str:
    if range_ in ("", "*"):
        return version
    if range_ in ("^", "~"):
        return range_ + version
    return range_


def resolve_workspace(name: str, spec: str, workspace: Workspace, dependent: str,
                      base: Path) -> str:
    """The published range for ``name: "workspace:<spec>"`` of the package ``dependent``.

    :param base: the dependent package's directory, which a ``workspace:<path>`` is relative to
    """
    if spec.startswith((".", "/")):
        return _by_path(workspace, spec, base, dependent).version or ""
    alias, at, range_ = spec.rpartition("@")
    if at and alias:
        target = _member(workspace, alias, dependent)
        return f"npm:{alias}@{_pin(target.version or '', range_)}"
    target = _member(workspace, name, dependent)
    return _pin(target.version or "", spec)


def resolve_catalog(name: str, catalog: str, workspace: Workspace, dependent: str) -> str:
    """The range the catalog ``catalog`` (default when empty) holds for ``name``."""
    catalog = catalog or DEFAULT_CATALOG
    entries = workspace.catalogs.get(catalog)
    if entries is None:
        known = ", ".join(sorted(workspace.catalogs)) or "none"
        raise RewriteError(
            f"{dependent} depends on {name!r} through the {catalog!r} catalog, but the workspace "
            f"at {workspace.root} has no such catalog (catalogs: {known})"
        )
    if name not in entries:
        raise RewriteError(
            f"{dependent} depends on {name!r} through the {catalog!r} catalog, which has no entry "
            f"for it; add {name} to that catalog in pnpm-workspace.yaml"
        )
    return entries[name]


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _SPACE:
        position += 1
    return position


def _entries(text: str, start: int) -> Iterator[tuple[str, int, int]]:
    """(key, value start, value end) of each entry of the valid JSON object opening at ``start``."""
    position = _skip(text, start + 1)
    if text[position] == "}":
        return
    while True:
        key, position = _decoder.raw_decode(text, position)
        value_start = _skip(text, _skip(text, position) + 1)  # past the ':'
        _value, value_end = _decoder.raw_decode(text, value_start)
        yield key, value_start, value_end
        position = _skip(text, value_end)
        if text[position] == "}":
            return
        position = _skip(text, position + 1)  # past the ','


def rewrite_manifest(text: str, workspace: Callable[[], Workspace], base: Path) -> (
    tuple[str, list[Change]]
):
    """``text`` (a package.json) with every workspace:/catalog: range resolved, and what changed.

    ``base`` is the package's own directory (``workspace:../other`` is relative to it).
    ``workspace`` is called only when a range needs it, so a package outside any workspace
    with ordinary ranges never looks for one.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom):]
    try:
        manifest = json.loads(text)
    except ValueError as error:
        raise RewriteError(f"package.json is not valid JSON: {error}") from None
    if not isinstance(manifest, dict):
        raise RewriteError("package.json must hold a JSON object")
    dependent = str(manifest.get("name", "package.json"))
    edits: list[tuple[int, int, str]] = []
    changes: list[Change] = []
    loaded: Workspace | None = None
    for field, start, _end in _entries(text, _skip(text, 0)):
        if field not in DEPENDENCY_FIELDS or text[start] != "{":
            continue
        for name, value_start, value_end in _entries(text, start):
            spec = json.loads(text[value_start:value_end])
            if not isinstance(spec, str) or not spec.startswith(PROTOCOLS):
                continue
            loaded = loaded or workspace()
            protocol, _, rest = spec.partition(":")
            if protocol == "workspace":
                new = resolve_workspace(name, rest, loaded, dependent, base)
            else:
                new = resolve_catalog(name, rest, loaded, dependent)
            edits.append((value_start, value_end, json.dumps(new, ensure_ascii=False)))
            changes.append(Change(field, name, spec, new))
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return bom + text, changes
