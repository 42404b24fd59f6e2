"""What changed since the last release: files, metadata, dependencies, entry points, and the
flags review rules raise on them.

Neutral ground like :mod:`hatch_stage.inspection`: it reads archives only through
:mod:`hatch_stage.archive` and imports no pipeline, plugin, command or registry code, so the
command line and the registry's review page compute the same diff. Computing
(:func:`compare_releases`) is separate from showing: :class:`ReleaseDiff` is plain data with
``as_json``.
"""

from __future__ import annotations

from .compare import NoRules, Rules, compare_releases, member_key
from .model import (
    ArtifactDiff,
    ChangedMember,
    DependencyChange,
    EntryPointChange,
    FieldChange,
    FileChange,
    FileProvenance,
    Flag,
    ReleaseDiff,
)
from .rules import BuiltinRules
from .textdiff import DiffLimits

__all__ = [
    "ArtifactDiff",
    "BuiltinRules",
    "ChangedMember",
    "DependencyChange",
    "DiffLimits",
    "EntryPointChange",
    "FieldChange",
    "FileChange",
    "FileProvenance",
    "Flag",
    "NoRules",
    "ReleaseDiff",
    "Rules",
    "compare_releases",
    "member_key",
]
