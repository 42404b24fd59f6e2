"""What changed in an npm release's ``package.json``: scripts, ``bin``, dependencies, entry
points (``main``/``exports``), files, URLs and the descriptive fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import fields
from .model import DependencyChange, EntryPointChange, FieldChange

SCALARS = ("description", "license", "author", "main", "module", "types", "exports", "engines",
           "os", "cpu")
DEPENDENCY_SECTIONS = ("dependencies", "optionalDependencies", "peerDependencies")


def parse_manifest(data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {}
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _url(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("url")
    return value if isinstance(value, str) and value else None


def _urls(manifest: Mapping[str, Any]) -> dict[str, str]:
    found = {key: _url(manifest.get(key)) for key in ("homepage", "repository", "bugs")}
    return {key: url for key, url in found.items() if url}


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def bin_entries(manifest: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """("bin", command) -> file; a string ``bin`` is named after the package, as npm does."""
    value = manifest.get("bin")
    if isinstance(value, str):
        name = str(manifest.get("name", "")).rsplit("/", 1)[-1]
        return {("bin", name): value}
    return {("bin", name): target for name, target in _strings(value).items()}


def manifest_changes(old: Mapping[str, Any], new: Mapping[str, Any], first: bool) -> (
    list[FieldChange]
):
    changes: list[FieldChange] = []
    for key in SCALARS:
        changes += fields.scalar(key, _text(old.get(key)), _text(new.get(key)), first)
    changes += fields.values("files", _list(old.get("files")), _list(new.get("files")))
    scripts_before, scripts_after = _strings(old.get("scripts")), _strings(new.get("scripts"))
    for name in dict.fromkeys([*scripts_after, *scripts_before]):
        changes += fields.scalar(f"scripts.{name}", scripts_before.get(name),
                                 scripts_after.get(name), first)
    changes += fields.urls("URL", _urls(old), _urls(new))
    return changes


def _list(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def dependency_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[DependencyChange]:
    changes: list[DependencyChange] = []
    for section in DEPENDENCY_SECTIONS:
        before, after = _strings(old.get(section)), _strings(new.get(section))
        for name, spec in after.items():
            if name not in before:
                changes.append(DependencyChange(name, "added", None, spec, section))
            elif before[name] != spec:
                changes.append(DependencyChange(name, "changed", before[name], spec, section))
        changes += [DependencyChange(name, "removed", spec, None, section)
                    for name, spec in before.items() if name not in after]
    return changes


def bin_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[EntryPointChange]:
    from .python import entry_point_changes

    return entry_point_changes(bin_entries(old), bin_entries(new))
