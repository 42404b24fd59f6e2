"""Built-in plugin ``blocked-files``: files that must never ship, whatever they contain.

The rules live in :mod:`hatch_stage.inspection.blocked`, shared with the registry's
validation report; this plugin applies them to the artifacts of a run.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Config
from ..hookspecs import impl
from ..inspection import find_blocked
from ..models import Artifact, Finding, Project


@impl
def hatch_stage_scan(artifacts: Sequence[Artifact], project: Project, config: Config) -> (
    list[Finding]
):
    return find_blocked(artifacts, config.limits, config.blocked_files, exact=config.exact_scan)
