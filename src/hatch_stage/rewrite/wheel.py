"""Pinning requirements inside a wheel: ``*.dist-info/METADATA`` and its RECORD line."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from pathlib import Path

from ..config import ScanLimits
from ..errors import RewriteError
from ..models import Artifact
from .metadata import PinFunction, rewrite_requires_dist
from .repack import read_members, repack


def _is_dist_info_file(name: str) -> bool:
    parts = name.split("/")
    return (
        len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] in ("METADATA", "RECORD")
    )


def record_hash(data: bytes) -> str:
    """A RECORD hash entry: ``sha256=`` and the urlsafe base64 digest without padding."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode('ascii')}"


def _record_with(record: bytes, name: str, data: bytes, where: str) -> bytes:
    """RECORD with ``name``'s line updated to ``data``; every other line stays byte for byte."""
    lines = record.decode("utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        row = next(csv.reader([line]), [])
        if row and row[0] == name:
            ending = line[len(line.rstrip("\r\n")) :]
            out = io.StringIO()
            csv.writer(out, lineterminator=ending).writerow([name, record_hash(data), len(data)])
            lines[index] = out.getvalue()
            return "".join(lines).encode("utf-8")
    raise RewriteError(f"{where} has no line for {name}; the wheel is not valid")


def rewrite_wheel(
    artifact: Artifact, pin: PinFunction, workdir: Path, limits: ScanLimits
) -> Artifact | None:
    """A copy of the wheel with its Requires-Dist pinned, or None when nothing needs pinning."""
    found = read_members(artifact, _is_dist_info_file, limits)
    directories = {name.split("/")[0] for name in found}
    if len(directories) != 1 or len(found) != 2:
        raise RewriteError(
            f"{artifact.filename} must hold exactly one .dist-info directory with METADATA "
            "and RECORD; it is not a valid wheel"
        )
    (directory,) = directories
    metadata_name, record_name = f"{directory}/METADATA", f"{directory}/RECORD"
    metadata = rewrite_requires_dist(
        found[metadata_name], pin, f"{artifact.filename}: {metadata_name}"
    )
    if metadata is None:
        return None
    record = _record_with(
        found[record_name], metadata_name, metadata, f"{artifact.filename}: {record_name}"
    )
    return repack(artifact, {metadata_name: metadata, record_name: record}, workdir, limits)
