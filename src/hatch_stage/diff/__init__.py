"""What changed since the last release: files, metadata, dependencies, entry points, and the
flags review rules raise on them.

Neutral ground like :mod:`hatch_stage.inspection`: it reads archives only through
:mod:`hatch_stage.archive` and imports no pipeline, plugin, command or registry code, so the
command line and the registry's review page compute the same diff. Computing
(:func:`compare_releases`) is separate from showing: :class:`ReleaseDiff` is plain data with
``as_json``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .compare import NoRules, Rules, compare_releases, member_key
    from .rules import BuiltinRules
    from .textdiff import DiffLimits

#: names of the computing modules, imported when first asked for: the pipeline's contract
#: (:mod:`hatch_stage.hookspecs`) names the plain data of :mod:`.model`, and a command that
#: never diffs (``check``, ``publish``) should not load the comparison and its rules
_LAZY = {
    "NoRules": "compare", "Rules": "compare", "compare_releases": "compare",
    "member_key": "compare", "BuiltinRules": "rules", "DiffLimits": "textdiff",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

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
