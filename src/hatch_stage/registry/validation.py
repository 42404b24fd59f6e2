"""Checking what uploaders send: file names against the session's release, versions,
declared hashes (attestations: :mod:`.attesting`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from packaging.version import InvalidVersion, Version

from ..inspection.filenames import filename_problems
from .blobs import hasher
from .problems import BadRequest


def check_filename(filename: str, project: str, version: str) -> None:
    """The one spelling of a wheel or sdist of this project and version
    (:func:`hatch_stage.inspection.filenames.filename_problems`), else :class:`BadRequest`."""
    problems = filename_problems(filename, project, version)
    if problems:
        raise BadRequest("; ".join(problems),
                         errors=[{"source": "filename", "message": problem}
                                 for problem in problems])


#: the longest version string accepted (the database keeps 100 characters)
MAX_VERSION = 64


def parse_version(version: str) -> Version:
    """The PEP 440 version; its normalized form (``str()``) is what the registry stores."""
    if len(version) > MAX_VERSION:
        raise BadRequest(f"a version is at most {MAX_VERSION} characters",
                         errors=[{"source": "version", "message": "too long"}])
    try:
        return Version(version)
    except InvalidVersion:
        raise BadRequest(f"{version!r} is not a valid version (PEP 440)",
                         errors=[{"source": "version", "message": "invalid"}]) from None


def check_hashes(hashes: Any) -> dict[str, str]:
    if not isinstance(hashes, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in hashes.items()):
        raise BadRequest("hashes must map algorithm names to hex digests")
    checked = {name: value.lower() for name, value in hashes.items()}
    sha256 = checked.get("sha256", "")
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise BadRequest("hashes must include the file's sha256 as 64 hex digits",
                         errors=[{"source": "hashes.sha256", "message": "required"}])
    for name in checked:
        hasher(name)
    return checked
