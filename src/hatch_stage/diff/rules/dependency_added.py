"""Review rule ``dependency-added``: a dependency the previous release did not have.

Every new dependency is new code from new people installed with the release; a typo-squatted
or freshly created package is the classic way in.
"""

from __future__ import annotations

from ..model import Flag, ReleaseDiff

RULE = "dependency-added"


def review_release(diff: ReleaseDiff) -> list[Flag]:
    flags = []
    for change in diff.dependencies:
        if change.change != "added":
            continue
        where = f" ({change.group})" if change.group else ""
        flags.append(Flag(RULE, f"new dependency {change.new}{where}: check who publishes "
                          f"{change.name} and why it is needed"))
    return flags
