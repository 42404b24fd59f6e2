"""Built-in review rule ``dependency-loosened``: a requirement now allows versions it excluded.

An upper bound or an exclusion is often there for a reason (a breaking or a compromised
release of the dependency); dropping it lets those versions in on every new install.
"""

from __future__ import annotations

from ...config import Config
from ...diff.model import Flag, ReleaseDiff
from ...hookspecs import impl

RULE = "dependency-loosened"


@impl
def hatch_stage_review_release(diff: ReleaseDiff, config: Config) -> list[Flag]:
    return [Flag(RULE, f"{change.name} now allows versions the previous release excluded",
                 detail=f"{change.old} -> {change.new}")
            for change in diff.dependencies if change.change == "loosened"]
