"""Review rule ``dependency-loosened``: a requirement now allows versions it excluded.

An upper bound or an exclusion is often there for a reason (a breaking or a compromised
release of the dependency); dropping it lets those versions in on every new install.
"""

from __future__ import annotations

from ..model import Flag, ReleaseDiff

RULE = "dependency-loosened"


def review_release(diff: ReleaseDiff) -> list[Flag]:
    return [Flag(RULE, f"{change.name} now allows versions the previous release excluded",
                 detail=f"{change.old} -> {change.new}")
            for change in diff.dependencies if change.change == "loosened"]
