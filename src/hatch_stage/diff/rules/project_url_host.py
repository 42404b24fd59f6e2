"""Review rule ``project-url-host``: a project URL on a host no earlier URL used.

Users follow the homepage, repository and documentation links of a release; a link moved to
a new host is how a takeover points them at a look-alike.
"""

from __future__ import annotations

from ..model import Flag, ReleaseDiff

RULE = "project-url-host"


def review_release(diff: ReleaseDiff) -> list[Flag]:
    return [Flag(RULE, f"{change.field} points to a new host {change.new_host}: {change.new}",
                 detail=f"was {change.old}" if change.old else "")
            for change in diff.metadata if change.new_host]
