"""What changed in a Python release's metadata: core metadata fields, ``Requires-Dist``, entry
points, and the sdist's build system.

Inputs are the raw bytes of ``METADATA`` (or ``PKG-INFO``), ``entry_points.txt`` and the
sdist's ``pyproject.toml``; None for a side that has none (a first release has no old side).
"""

from __future__ import annotations

import configparser
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from packaging.metadata import RawMetadata, parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..config import tomllib
from . import fields, specifiers
from .model import DependencyChange, EntryPointChange, FieldChange

#: (core metadata field as shown, RawMetadata key) of the single-valued fields compared
SCALARS = (
    ("Summary", "summary"),
    ("Requires-Python", "requires_python"),
    ("License", "license"),
    ("License-Expression", "license_expression"),
    ("Author", "author"),
    ("Author-email", "author_email"),
    ("Maintainer", "maintainer"),
    ("Maintainer-email", "maintainer_email"),
)
#: (field as shown, RawMetadata key) of the multi-valued fields compared value by value
LISTS = (
    ("Classifier", "classifiers"),
    ("Provides-Extra", "provides_extra"),
    ("License-File", "license_files"),
)


def parse_metadata(data: bytes | None) -> RawMetadata:
    if data is None:
        return {}
    metadata, _unparsed = parse_email(data)
    return metadata


def project_urls(metadata: RawMetadata) -> dict[str, str]:
    """Labelled URLs, with the legacy ``Home-page`` and ``Download-URL`` fields under their own
    labels unless a Project-URL already uses the label."""
    found = dict(metadata.get("project_urls", {}))
    if metadata.get("home_page"):
        found.setdefault("Homepage", metadata["home_page"])
    if metadata.get("download_url"):
        found.setdefault("Download", metadata["download_url"])
    return found


def metadata_changes(old: bytes | None, new: bytes | None, first: bool) -> list[FieldChange]:
    before, after = parse_metadata(old), parse_metadata(new)
    changes: list[FieldChange] = []
    for shown, key in SCALARS:
        changes += fields.scalar(shown, _text(before.get(key)), _text(after.get(key)), first)
    for shown, key in LISTS:
        changes += fields.values(shown, _list(before.get(key)), _list(after.get(key)))
    changes += fields.urls("Project-URL", project_urls(before), project_urls(after))
    return changes


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _list(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


# Requires-Dist ---------------------------------------------------------------------------

def _group(requirement: Requirement) -> str:
    """The extra a requirement belongs to ("" for run-time), read from its marker."""
    marker = str(requirement.marker or "")
    for quote in ('"', "'"):
        start = marker.find(f"extra == {quote}")
        if start >= 0:
            rest = marker[start + len("extra == ") + 1:]
            return f"extra: {rest.split(quote, 1)[0]}"
    return ""


def _requirements(metadata: RawMetadata) -> dict[str, list[tuple[str, Requirement | None]]]:
    by_name: dict[str, list[tuple[str, Requirement | None]]] = defaultdict(list)
    for line in metadata.get("requires_dist", []):
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            by_name[line.split(";")[0].strip().lower()].append((line.strip(), None))
            continue
        by_name[str(canonicalize_name(requirement.name))].append((line.strip(), requirement))
    return by_name


def _compare_one(name: str, old: tuple[str, Requirement | None],
                 new: tuple[str, Requirement | None]) -> DependencyChange | None:
    (old_text, before), (new_text, after) = old, new
    if old_text == new_text:
        return None
    group = _group(after) if after is not None else ""
    if before is None or after is None:
        return DependencyChange(name, "changed", old_text, new_text, group)
    if (before.marker != after.marker or before.extras != after.extras
            or before.url != after.url):
        return DependencyChange(name, "changed", old_text, new_text, group)
    verdict = specifiers.compare(str(before.specifier), str(after.specifier))
    if verdict == "same":
        return None
    return DependencyChange(name, verdict, old_text, new_text, group)


def dependency_changes(old: bytes | None, new: bytes | None) -> list[DependencyChange]:
    before, after = _requirements(parse_metadata(old)), _requirements(parse_metadata(new))
    changes: list[DependencyChange] = []
    for name, now in after.items():
        earlier = before.get(name, [])
        if len(now) == 1 and len(earlier) == 1:
            change = _compare_one(name, earlier[0], now[0])
            changes += [change] if change else []
            continue
        # several requirements for one name (different markers): pair them by marker
        by_marker = {str(r.marker) if r else text: (text, r) for text, r in earlier}
        for text, requirement in now:
            key = str(requirement.marker) if requirement else text
            if key in by_marker:
                change = _compare_one(name, by_marker.pop(key), (text, requirement))
                changes += [change] if change else []
            else:
                group = _group(requirement) if requirement else ""
                changes.append(DependencyChange(name, "added", None, text, group))
        changes += [DependencyChange(name, "removed", text, None, _group(r) if r else "")
                    for text, r in by_marker.values()]
    for name, earlier in before.items():
        if name not in after:
            changes += [DependencyChange(name, "removed", text, None, _group(r) if r else "")
                        for text, r in earlier]
    return changes


# entry points ------------------------------------------------------------------------------

def parse_entry_points(data: bytes | None) -> dict[tuple[str, str], str]:
    """(group, name) -> target of an ``entry_points.txt``; {} when absent or unreadable."""
    if data is None:
        return {}
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(data.decode("utf-8"))
    except (configparser.Error, UnicodeDecodeError):
        return {}
    return {(group, name): target.strip() for group in parser.sections()
            for name, target in parser.items(group)}


def entry_point_changes(old: Mapping[tuple[str, str], str],
                        new: Mapping[tuple[str, str], str]) -> list[EntryPointChange]:
    changes = [EntryPointChange(group, name, "added" if (group, name) not in old else "changed",
                                old.get((group, name)), target)
               for (group, name), target in new.items() if old.get((group, name)) != target]
    changes += [EntryPointChange(group, name, "removed", target, None)
                for (group, name), target in old.items() if (group, name) not in new]
    return changes


# the sdist's build system ----------------------------------------------------------------------

def build_settings(pyproject: bytes | None) -> dict[str, str]:
    """The settings that decide what code runs when the sdist is built, as comparable text."""
    if pyproject is None:
        return {}
    try:
        document = tomllib.loads(pyproject.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {"pyproject.toml": "(unreadable)"}
    build = document.get("build-system", {})
    hatch_hooks = document.get("tool", {}).get("hatch", {}).get("build", {}).get("hooks")
    found = {
        "build-system.requires": build.get("requires"),
        "build-system.build-backend": build.get("build-backend"),
        "build-system.backend-path": build.get("backend-path"),
        "tool.hatch.build.hooks": hatch_hooks,
    }
    return {key: value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            for key, value in found.items() if value is not None}


def build_changes(old: bytes | None, new: bytes | None, first: bool) -> list[FieldChange]:
    before, after = build_settings(old), build_settings(new)
    changes: list[FieldChange] = []
    for key in dict.fromkeys([*after, *before]):
        changes += fields.scalar(key, before.get(key), after.get(key), first)
    return changes
