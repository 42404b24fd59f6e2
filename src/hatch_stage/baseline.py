"""Honouring an existing detect-secrets ``.secrets.baseline``.

A baseline lists secrets a team has already reviewed, by file (relative to the repository)
and sha1 of the secret. Artifact members carry other prefixes (``pkg-1.0/`` in an sdist,
no ``src/`` in a wheel), so a finding is accepted when its type and hash match an entry
and one path is a trailing part of the other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from .errors import ConfigError
from .models import Finding


def _load(path: Path) -> dict[tuple[str, str], list[tuple[str, ...]]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        results = document["results"]
        entries: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        for filename, secrets in results.items():
            parts = PurePosixPath(filename.replace("\\", "/")).parts
            for secret in secrets:
                key = (secret["type"], secret["hashed_secret"])
                entries.setdefault(key, []).append(parts)
        return entries
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(f"{path} is not a readable detect-secrets baseline: {error}") from None


def _same_file(member: tuple[str, ...], listed: tuple[str, ...]) -> bool:
    shorter = min(len(member), len(listed))
    return shorter > 0 and member[-shorter:] == listed[-shorter:]


def without_accepted(findings: Sequence[Finding], path: Path | None) -> tuple[list[Finding], int]:
    """The findings a baseline at ``path`` does not accept, and how many it did."""
    if path is None or not findings:
        return list(findings), 0
    entries = _load(path)
    kept = []
    for finding in findings:
        listed = entries.get((finding.type, finding.hashed_secret), [])
        member = PurePosixPath(finding.member).parts
        if finding.hashed_secret and any(_same_file(member, parts) for parts in listed):
            continue
        kept.append(finding)
    return kept, len(findings) - len(kept)
