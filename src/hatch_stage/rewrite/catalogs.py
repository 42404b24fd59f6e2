"""Catalogs: version specifiers kept in one place, the Python form of pnpm's ``catalog:``.

A dependency opts in with ``[tool.hatch-stage.sources] requests = { catalog = true }`` (the
default catalog, ``[tool.hatch-stage.catalog]``) or ``{ catalog = "legacy" }`` (a named one,
``[tool.hatch-stage.catalogs.legacy]``). Settings are looked up in the project's own
pyproject.toml first, then in the workspace root's; a project's ``sources`` entry overrides the
root's for the same name, and ``{ catalog = false }`` opts a dependency out again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from ..errors import ConfigError, RewriteError

DEFAULT = "default"


@dataclass(frozen=True)
class CatalogSettings:
    """The catalog settings of one pyproject.toml's ``[tool.hatch-stage]`` (parsed by config)."""

    file: Path
    catalog: Mapping[str, str] = field(default_factory=dict)
    catalogs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    sources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def marks(self) -> dict[str, tuple[str | None, str]]:
        """normalized name -> (catalog name, or None when opted out; where it is marked)."""
        where = f"[tool.hatch-stage.sources] in {self.file}"
        marks: dict[str, tuple[str | None, str]] = {}
        for name, entry in self.sources.items():
            value = entry.get("catalog")
            if set(entry) != {"catalog"} or not isinstance(value, (bool, str)) or value == "":
                raise ConfigError(
                    f"{where}: {name} must be {{ catalog = true }} or "
                    f'{{ catalog = "<catalog name>" }}, not {dict(entry)!r}'
                )
            catalog = (DEFAULT if value else None) if isinstance(value, bool) else value
            marks[canonicalize_name(name)] = (catalog, where)
        return marks

    def tables(self, catalog: str) -> list[tuple[str, Mapping[str, str]]]:
        """(label, entries) of every table defining ``catalog`` here."""
        found = []
        if catalog == DEFAULT and self.catalog:
            found.append((f"[tool.hatch-stage.catalog] in {self.file}", self.catalog))
        if self.catalogs.get(catalog):
            found.append(
                (f"[tool.hatch-stage.catalogs.{catalog}] in {self.file}", self.catalogs[catalog])
            )
        return found


def _checked(spec: str, what: str) -> str:
    """``spec`` stripped, or an error naming ``what`` when it is no PEP 440 specifier."""
    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        pass
    else:
        if spec.strip():
            return spec.strip()
    raise RewriteError(f"{what} is not a valid version specifier")


class Catalogs:
    """Which dependencies come from which catalog, and the specifier each one gets."""

    def __init__(self, places: Sequence[CatalogSettings]) -> None:
        #: where to look, the project's own settings first
        self.places = list(places)
        merged: dict[str, tuple[str | None, str]] = {}
        for place in reversed(self.places):
            merged.update(place.marks())
        #: normalized name -> (catalog name, where it is marked)
        self.marks = {name: (c, where) for name, (c, where) in merged.items() if c is not None}

    def specifier(
        self, requirement: Requirement, catalog: str, marked_where: str, where: str
    ) -> str:
        """The specifier for ``requirement`` from ``catalog``; errors say where they looked."""
        name = requirement.name
        mark = "catalog = true" if catalog == DEFAULT else f'catalog = "{catalog}"'
        if requirement.specifier:
            raise RewriteError(
                f"{where}: {requirement} has its own specifier but is marked {mark} "
                f"({marked_where}); remove one of the two"
            )
        tables = [table for place in self.places for table in place.tables(catalog)]
        if not tables:
            wanted = "catalog" if catalog == DEFAULT else f"catalogs.{catalog}"
            files = " and ".join(str(place.file) for place in self.places)
            raise RewriteError(
                f"{where}: {name} is marked {mark} ({marked_where}), but catalog {catalog!r} is "
                f"not defined; looked for [tool.hatch-stage.{wanted}] in {files}"
            )
        for label, entries in tables:
            by_name = {canonicalize_name(key): value for key, value in entries.items()}
            spec = by_name.get(canonicalize_name(name))
            if spec is not None:
                return _checked(spec, f"catalog entry {name} = {spec!r} in {label}")
        raise RewriteError(
            f"{where}: {name} is marked {mark} ({marked_where}), but catalog {catalog!r} has no "
            f"entry for it; looked in {', '.join(label for label, _ in tables)}. Add "
            f'{name} = "<specifier>" to the catalog'
        )
