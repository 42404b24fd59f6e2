"""Honouring an existing detect-secrets ``.secrets.baseline`` and the ``accept-files`` setting.

A baseline lists secrets a team has already reviewed, by file (relative to the repository)
and sha1 of the secret. Artifact members carry other prefixes (``pkg-1.0/`` in an sdist,
no ``src/`` in a wheel), so a finding is accepted when its type and hash match an entry
and one path is a trailing part of the other.

A baseline's file exclusions (detect-secrets' ``--exclude-files``, kept in ``filters_used``
as ``detect_secrets.filters.regex.should_exclude_file``) accept a file whole, as
detect-secrets skips it: ``hatch-stage baseline`` writes one for each blocked file (a fixture
key, a test ``.env``) so it is accepted by its path. The ``accept-files`` setting (fnmatch
patterns) accepts files by path too, but only their being blocked: secrets inside them are
still reported.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import ConfigError
from .inspection import BLOCKED_FILE
from .inspection.grouping import same_file, source_parts
from .models import Finding

#: detect-secrets' filter that skips files by regex (``--exclude-files``)
EXCLUDE_FILES = "detect_secrets.filters.regex.should_exclude_file"
#: metadata generated at build time from other files (the README becomes METADATA): a secret
#: accepted in any file is accepted there too
GENERATED = re.compile(r"(?:^|/)(?:PKG-INFO|[^/]+\.dist-info/(?:METADATA|RECORD|WHEEL))$")


@dataclass
class Accepted:
    """What a baseline accepts: secrets by (type, hash) and file, and whole files by path."""

    #: (type, hashed secret) -> the path parts of each file it was accepted in
    secrets: dict[tuple[str, str], list[tuple[str, ...]]] = field(default_factory=dict)
    #: regexes of files accepted whole
    excluded: list[re.Pattern[str]] = field(default_factory=list)


def load(path: Path) -> Accepted:
    """Read the baseline at ``path``; a clear error if it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        accepted = Accepted()
        for filename, secrets in document["results"].items():
            parts = PurePosixPath(filename.replace("\\", "/")).parts
            for secret in secrets:
                key = (secret["type"], secret["hashed_secret"])
                accepted.secrets.setdefault(key, []).append(parts)
        for entry in document.get("filters_used", []):
            if entry.get("path") == EXCLUDE_FILES:
                patterns = entry.get("pattern", [])
                for pattern in [patterns] if isinstance(patterns, str) else patterns:
                    accepted.excluded.append(re.compile(pattern))
        return accepted
    except (OSError, ValueError, KeyError, TypeError, AttributeError, re.error) as error:
        raise ConfigError(f"{path} is not a readable detect-secrets baseline: {error}") from None


def _suffixes(parts: tuple[str, ...]) -> list[str]:
    """``a/b/c``, ``b/c``, ``c``: the paths the file may have in the repository."""
    return ["/".join(parts[i:]) for i in range(len(parts))]


def _excluded(parts: tuple[str, ...], patterns: Sequence[re.Pattern[str]]) -> bool:
    return any(p.search(path) for p in patterns for path in _suffixes(parts))


def _matches(parts: tuple[str, ...], globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, g) for g in globs for path in _suffixes(parts))


def without_accepted(findings: Sequence[Finding], path: Path | None,
                     accept_files: Sequence[str] = ()) -> tuple[list[Finding], int]:
    """The findings the baseline at ``path`` and ``accept_files`` do not accept, and how many
    they did."""
    if not findings or (path is None and not accept_files):
        return list(findings), 0
    accepted = load(path) if path is not None else Accepted()
    kept = []
    for finding in findings:
        parts = source_parts(finding)
        listed = accepted.secrets.get((finding.type, finding.hashed_secret), [])
        if finding.hashed_secret and listed and (
            any(same_file(parts, entry) for entry in listed) or GENERATED.search(finding.member)
        ):
            continue
        if _excluded(parts, accepted.excluded):
            continue
        if finding.type == BLOCKED_FILE and _matches(parts, accept_files):
            continue
        kept.append(finding)
    return kept, len(findings) - len(kept)
