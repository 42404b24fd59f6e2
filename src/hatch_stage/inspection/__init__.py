"""What is inside a release: the secret scan, the blocked files, the quality score, and
whether each file is a well-formed wheel or sdist of the release.

One implementation, two users. The client's built-in plugins (``blocked-files``,
``detect-secrets``, ``python-score``) call these functions for its gate; the stage registry
calls them (and :func:`check_distribution` on every file it stages) for the validation report
it keeps on each session, so the reviewer sees what the client's dry run saw for the same
files.

This package is neutral ground: it imports the archive reader, the scanner and the scoring
rules, never the pipeline, the plugins, the commands or the registry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config import ScanLimits
from ..contents import shared_reading
from ..models import Artifact, Check, Finding, Note
from .blocked import FINDING_TYPE as BLOCKED_FILE
from .blocked import find_blocked, is_blocked
from .confidence import HIGH, LOW, RULES
from .grouping import by_file, distinct, merge_duplicates
from .quality import score_python
from .secrets import find_secrets, scan_secrets
from .wellformed import check_distribution

__all__ = [
    "BLOCKED_FILE",
    "HIGH",
    "LOW",
    "RULES",
    "Inspection",
    "blocking",
    "by_file",
    "check_distribution",
    "distinct",
    "find_blocked",
    "find_secrets",
    "inspect_release",
    "is_blocked",
    "merge_duplicates",
    "scan_secrets",
    "score_python",
]


@dataclass(frozen=True)
class Inspection:
    """The findings and quality checks of one release, labelled like the client's."""

    findings: tuple[Finding, ...]
    checks: tuple[Check, ...]
    #: files the scan could not read as usual (each was still scanned, line by line)
    notes: tuple[Note, ...] = ()


def blocking(findings: Sequence[Finding], *, allow_secrets: bool = False,
             strict: bool = False) -> list[Finding]:
    """The findings that stop a release: the one gate rule, for the client's pipeline and for
    the registry's validation report alike.

    High-confidence findings block; low ones are reported for the reviewer. ``strict`` blocks
    on every finding (as the exact scan mode does); ``allow_secrets`` on none.
    """
    if allow_secrets:
        return []
    return [f for f in findings if strict or f.confidence != LOW]


def inspect_release(artifacts: Sequence[Artifact], limits: ScanLimits | None = None,
                    blocked_patterns: Sequence[str] = (), *, exact: bool = False) -> Inspection:
    """Scan and score a Python release as the client's built-in plugins do, with their
    plugin names on every finding and check. ``exact``: detect-secrets' findings exactly (the
    ``scan-mode = "exact"`` setting), where every finding blocks."""
    limits = limits or ScanLimits()
    with shared_reading():  # each artifact read once for the three
        blocked = find_blocked(artifacts, limits, blocked_patterns, exact=exact)
        secrets = scan_secrets(artifacts, limits, exact=exact)
        checks = [_labelled(c, "python-score") for c in score_python(artifacts, limits)]
    findings = [
        *(_labelled(f, "blocked-files") for f in blocked),
        *(_labelled(f, "detect-secrets") for f in secrets.findings),
    ]
    notes = tuple(_labelled(n, "detect-secrets") for n in secrets.notes)
    return Inspection(tuple(findings), tuple(checks), notes)


def _labelled(result: Any, plugin: str) -> Any:
    return result if result.plugin else dataclasses.replace(result, plugin=plugin)
