"""Writing a ``.secrets.baseline`` in detect-secrets' own format from a release's findings.

What the team has reviewed is accepted from then on (:mod:`hatch_stage.baseline` reads it):

- each secret is a ``results`` entry under its file's path in the project directory, as
  ``detect-secrets scan`` would write it, so ``detect-secrets audit`` can show and label it;
- each blocked file (a fixture key, a test ``.env``) becomes an exact-path pattern of
  detect-secrets' ``--exclude-files`` filter (it has no secret hash to list);
- ``plugins_used`` lists detect-secrets' plugins and, outside the exact scan mode, hatch-stage's
  detectors with the path of the file that defines them, which is how detect-secrets loads
  custom plugins (so ``detect-secrets audit`` works wherever that hatch-stage is installed).

An existing baseline is updated, not replaced: its entries (and their audit labels), exclusions
and plugin settings are kept, since it may cover files the release does not ship.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .baseline import EXCLUDE_FILES, GENERATED
from .errors import ConfigError
from .inspection import BLOCKED_FILE, detectors, distinct
from .inspection.grouping import source_parts
from .models import Finding

#: directories never searched for a member's source file
_SKIPPED_DIRS = frozenset({".git", ".hg", ".venv", "venv", "node_modules", "__pycache__",
                           ".tox", ".nox", "dist", "build", ".mypy_cache", ".ruff_cache"})


@dataclass
class Written:
    """What :func:`write` put into the baseline."""

    path: Path
    #: repository paths of the files whose secrets were listed
    files: set[str] = field(default_factory=set)
    #: how many secrets were listed (new or already there)
    secrets: int = 0
    #: repository paths accepted whole (blocked files)
    excluded: list[str] = field(default_factory=list)
    #: members with findings that have no source file in the project (generated at build)
    unmapped: list[str] = field(default_factory=list)
    #: the high-confidence findings accepted: the reviewer should look at these first
    high: list[Finding] = field(default_factory=list)


class SourceFiles:
    """Finds the file in the project directory an artifact member was built from."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._by_name: dict[str, list[str]] | None = None

    def _walk(self) -> Iterator[str]:
        for directory, subdirectories, files in os.walk(self.root):
            subdirectories[:] = [d for d in subdirectories if d not in _SKIPPED_DIRS]
            relative = Path(directory).relative_to(self.root)
            for name in files:
                yield (relative / name).as_posix()

    def find(self, finding: Finding) -> str | None:
        """The member's path relative to the project directory, or None if there is none."""
        parts = source_parts(finding)
        if not parts:
            return None
        direct = "/".join(parts)
        if (self.root / direct).is_file():
            return direct
        if self._by_name is None:
            self._by_name = {}
            for path in self._walk():
                self._by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
        candidates = [p for p in self._by_name.get(parts[-1], [])
                      if p == direct or p.endswith("/" + direct)]
        return min(candidates, key=len) if candidates else None


def plugins_used(*, exact: bool) -> list[dict[str, Any]]:
    """The ``plugins_used`` of a baseline: detect-secrets' defaults, and ours outside exact."""
    from detect_secrets.settings import default_settings

    with default_settings() as settings:
        plugins: list[dict[str, Any]] = settings.json()["plugins_used"]
    if not exact:
        plugins += [{"name": name, "path": f"file://{detectors.__file__}"}
                    for name in detectors.DETECTORS]
    return sorted(plugins, key=lambda plugin: str(plugin["name"]).lower())


def _default_filters() -> list[dict[str, Any]]:
    from detect_secrets.settings import default_settings

    with default_settings() as settings:
        filters: list[dict[str, Any]] = settings.json()["filters_used"]
    return filters


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or not isinstance(document.get("results", {}), dict):
            raise ValueError("no results table")
        return document
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path} exists but is not a detect-secrets baseline ({error}); "
                          "move it away or fix it first") from None


def _merge_plugins(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {plugin["name"]: plugin for plugin in old}
    by_name.update({plugin["name"]: plugin for plugin in new})
    return sorted(by_name.values(), key=lambda plugin: str(plugin["name"]).lower())


def _exclusions(filters: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    for entry in filters:
        if entry.get("path") == EXCLUDE_FILES:
            patterns = entry.get("pattern", [])
            entry["pattern"] = [patterns] if isinstance(patterns, str) else list(patterns)
            return entry, entry["pattern"]
    entry = {"path": EXCLUDE_FILES, "pattern": []}
    filters.append(entry)
    return entry, entry["pattern"]


def write(path: Path, root: Path, findings: Sequence[Finding], *, exact: bool = False) -> Written:
    """Write or update the baseline at ``path`` so it accepts ``findings`` (see the module
    docstring); paths in it are relative to ``root``, the project directory."""
    document = _read(path)
    written = Written(path)
    sources = SourceFiles(root)
    results: dict[str, list[dict[str, Any]]] = document.get("results", {})
    filters = list(document.get("filters_used") or _default_filters())
    _entry, patterns = _exclusions(filters)
    for finding in distinct(findings):
        source = sources.find(finding)
        if finding.type == BLOCKED_FILE:
            where = source or "/".join(source_parts(finding))
            pattern = "^" + re.escape(where) + "$"
            if pattern not in patterns:
                patterns.append(pattern)
            written.excluded.append(where)
        elif source is None:
            if not GENERATED.search(finding.member):  # METADATA repeats the README: covered
                written.unmapped.append(f"{finding.artifact}: {finding.member}")
            continue
        else:
            entries = results.setdefault(source, [])
            if not any(e.get("type") == finding.type
                       and e.get("hashed_secret") == finding.hashed_secret for e in entries):
                entries.append({"type": finding.type, "filename": source,
                                "hashed_secret": finding.hashed_secret, "is_verified": False,
                                "line_number": finding.line})
            written.files.add(source)
            written.secrets += 1
        if finding.confidence == "high":
            written.high.append(finding)
    if not patterns:
        filters = [f for f in filters if f.get("path") != EXCLUDE_FILES]
    from detect_secrets.__version__ import VERSION

    baseline = {
        "version": VERSION,
        "plugins_used": _merge_plugins(document.get("plugins_used", []),
                                       plugins_used(exact=exact)),
        "filters_used": sorted(filters, key=lambda entry: str(entry["path"]).lower()),
        "results": {name: sorted(entries, key=lambda e: (e.get("line_number") or 0, e["type"]))
                    for name, entries in sorted(results.items())},
        "generated_at": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"),
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)  # never a half-written baseline
    return written
