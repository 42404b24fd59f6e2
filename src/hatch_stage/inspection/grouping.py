"""Findings as a reader takes them in: one secret once, grouped by artifact and file.

The same file usually ships twice, in the sdist (``name-1.0/src/name/x.py``) and in the wheel
(``name/x.py``); a secret in it is one problem, not two. Two findings are the same when their
type and secret hash match and one file's path is a trailing part of the other's (the sdist's
top directory left out). The report shows the first and names the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..models import Finding


def source_parts(finding: Finding) -> tuple[str, ...]:
    """The member's path parts, without an sdist's ``name-version/`` top directory."""
    parts = PurePosixPath(finding.member.replace("\\", "/")).parts
    sdist = finding.artifact.endswith((".tar.gz", ".zip"))
    return parts[1:] if sdist and len(parts) > 1 else parts


def same_file(one: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """Whether one path is a trailing part of the other (``src/pkg/x.py`` and ``pkg/x.py``)."""
    shorter = min(len(one), len(other))
    return shorter > 0 and one[-shorter:] == other[-shorter:]


@dataclass(frozen=True)
class Reported:
    """One secret as the report shows it: where it was first found, and where else."""

    finding: Finding
    also: tuple[Finding, ...] = ()


def merge_duplicates(findings: Sequence[Finding]) -> list[Reported]:
    """Each secret once, in the order first seen, with its other artifacts' occurrences."""
    firsts: list[Finding] = []
    others: dict[int, list[Finding]] = {}
    buckets: dict[tuple[str, str, str], list[int]] = {}
    for finding in findings:
        parts = source_parts(finding)
        key = (finding.type, finding.hashed_secret or finding.detail, parts[-1] if parts else "")
        bucket = buckets.setdefault(key, [])
        for index in bucket:
            first = firsts[index]
            if first.artifact != finding.artifact and same_file(source_parts(first), parts):
                others.setdefault(index, []).append(finding)
                break
        else:
            bucket.append(len(firsts))
            firsts.append(finding)
    return [Reported(first, tuple(others.get(i, ()))) for i, first in enumerate(firsts)]


def distinct(findings: Sequence[Finding]) -> list[Finding]:
    """Each secret once (see :func:`merge_duplicates`)."""
    return [reported.finding for reported in merge_duplicates(findings)]


@dataclass
class FileFindings:
    """The findings of one file of one artifact."""

    artifact: str
    member: str
    high: list[Reported] = field(default_factory=list)
    low: list[Reported] = field(default_factory=list)
    #: the same file in other artifacts, where its findings were also found
    also: list[str] = field(default_factory=list)


def by_file(findings: Sequence[Finding]) -> list[FileFindings]:
    """Each secret once, grouped by artifact and file, in the order first seen."""
    files: dict[tuple[str, str], FileFindings] = {}
    for reported in merge_duplicates(findings):
        finding = reported.finding
        group = files.setdefault((finding.artifact, finding.member),
                                 FileFindings(finding.artifact, finding.member))
        (group.low if finding.confidence == "low" else group.high).append(reported)
        for other in reported.also:
            where = f"{other.artifact}: {other.member}"
            if where not in group.also:
                group.also.append(where)
    return list(files.values())
