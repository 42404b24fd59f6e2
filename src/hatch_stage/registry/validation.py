"""Checking what uploaders send: file names against the session's release, versions,
declared hashes, attestations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from .blobs import hasher
from .problems import BadRequest


def check_filename(filename: str, project: str, version: str) -> None:
    """A wheel or sdist name of this project and version, else :class:`BadRequest`."""
    try:
        if filename.endswith(".whl"):
            name, file_version, _, _ = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            name, file_version = parse_sdist_filename(filename)
        else:
            raise BadRequest(f"{filename!r} is neither a wheel (.whl) nor an sdist (.tar.gz)")
    except (InvalidWheelFilename, InvalidSdistFilename) as error:
        raise BadRequest(f"{filename!r} is not a valid distribution file name: {error}",
                         errors=[{"source": "filename", "message": str(error)}]) from None
    if name != project:
        raise BadRequest(f"{filename!r} belongs to project {name!r}, not {project!r}")
    if file_version != parse_version(version):
        raise BadRequest(f"{filename!r} is version {file_version}, but the session is for "
                         f"{version}")


def parse_version(version: str) -> Version:
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


def attestations_json(attestations: Any) -> str:
    if not isinstance(attestations, list) or not all(
            isinstance(item, dict) and {"version", "verification_material", "envelope"} <= set(item)
            for item in attestations):
        raise BadRequest("attestations must be a JSON array of PEP 740 attestation objects")
    return json.dumps(attestations)
