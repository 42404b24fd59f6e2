"""Pinning requirements inside an sdist: ``PKG-INFO`` and ``pyproject.toml``'s [project] tables.

Both must change together: installers read PKG-INFO, while building a wheel from the sdist
reads pyproject.toml, and the two must not disagree.
"""

from __future__ import annotations

from pathlib import Path

from ..config import ScanLimits
from ..errors import RewriteError
from ..models import Artifact
from .metadata import PinFunction, rewrite_requires_dist
from .repack import read_members, repack
from .tomltext import rewrite_dependencies

_TOP_LEVEL_FILES = ("PKG-INFO", "pyproject.toml")


def _is_top_level_file(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and parts[1] in _TOP_LEVEL_FILES


def rewrite_sdist(
    artifact: Artifact, pin: PinFunction, workdir: Path, limits: ScanLimits
) -> Artifact | None:
    """A copy of the sdist with its requirements pinned, or None when nothing needs pinning."""
    found = read_members(artifact, _is_top_level_file, limits)
    pkg_info = [name for name in found if name.endswith("/PKG-INFO")]
    if len(pkg_info) != 1:
        raise RewriteError(f"{artifact.filename} must hold exactly one top-level PKG-INFO")
    top = pkg_info[0].split("/")[0]
    replacements: dict[str, bytes] = {}
    metadata = rewrite_requires_dist(found[pkg_info[0]], pin, f"{artifact.filename}: {pkg_info[0]}")
    if metadata is not None:
        replacements[pkg_info[0]] = metadata
    pyproject_name = f"{top}/pyproject.toml"
    if pyproject_name in found:
        where = f"{artifact.filename}: {pyproject_name}"
        try:
            text = found[pyproject_name].decode("utf-8")
        except UnicodeDecodeError:
            raise RewriteError(f"{where} is not UTF-8 text") from None
        pyproject = rewrite_dependencies(text, pin, where)
        if pyproject is not None:
            replacements[pyproject_name] = pyproject.encode("utf-8")
    if not replacements:
        return None
    return repack(artifact, replacements, workdir, limits)
