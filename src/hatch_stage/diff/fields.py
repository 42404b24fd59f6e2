"""Comparing values field by field: scalars, multi-valued fields, labelled URLs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from .model import Change, FieldChange


def scalar(field: str, old: str | None, new: str | None, first: bool) -> list[FieldChange]:
    """A single-valued field; on a first release (``first``) every present value is added."""
    old = old if old not in ("", None) else None
    new = new if new not in ("", None) else None
    if old == new and not first:
        return []
    if new is None and old is None:
        return []
    if old is None:
        return [FieldChange(field, "added", None, new)]
    if new is None:
        return [FieldChange(field, "removed", old, None)]
    return [FieldChange(field, "changed", old, new)]


def values(field: str, old: Iterable[str], new: Iterable[str]) -> list[FieldChange]:
    """A multi-valued field (classifiers, extras, license files): each value added or removed."""
    before, after = list(dict.fromkeys(old)), list(dict.fromkeys(new))
    removed = [FieldChange(field, "removed", value, None) for value in before if value not in after]
    return removed + [FieldChange(field, "added", None, value)
                      for value in after if value not in before]


def host_of(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def urls(prefix: str, old: Mapping[str, str], new: Mapping[str, str]) -> list[FieldChange]:
    """Labelled URLs; an added or changed URL on a host no previous URL used carries it in
    ``new_host``."""
    known_hosts = {host_of(url) for url in old.values()} - {""}
    changes = []
    for label, url in new.items():
        before = old.get(label)
        if before == url:
            continue
        host = host_of(url)
        fresh = host if host and host not in known_hosts else None
        change: Change = "added" if before is None else "changed"
        changes.append(FieldChange(f"{prefix}: {label}", change, before, url, new_host=fresh))
    changes.extend(FieldChange(f"{prefix}: {label}", "removed", url, None)
                   for label, url in old.items() if label not in new)
    return changes
