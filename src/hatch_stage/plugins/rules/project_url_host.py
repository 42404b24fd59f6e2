"""Built-in review rule ``project-url-host``: a project URL on a host no earlier URL used.

Users follow the homepage, repository and documentation links of a release; a link moved to
a new host is how a takeover points them at a look-alike.
"""

from __future__ import annotations

from ...config import Config
from ...diff.model import Flag, ReleaseDiff
from ...hookspecs import impl

RULE = "project-url-host"


@impl
def hatch_stage_review_release(diff: ReleaseDiff, config: Config) -> list[Flag]:
    return [Flag(RULE, f"{change.field} points to a new host {change.new_host}: {change.new}",
                 detail=f"was {change.old}" if change.old else "")
            for change in diff.metadata if change.new_host]
