"""Built-in review rule ``console-script``: a command added or pointed at other code.

A console script (or GUI script, or npm ``bin`` entry) puts a command on the user's PATH; a
new one can shadow a common command (``pip``, ``git``, ``python``) or run code the user
never meant to call.
"""

from __future__ import annotations

from ...config import Config
from ...diff.model import Flag, ReleaseDiff
from ...hookspecs import impl

RULE = "console-script"
GROUPS = {"console_scripts": "console script", "gui_scripts": "GUI script", "bin": "npm bin entry"}


@impl
def hatch_stage_review_release(diff: ReleaseDiff, config: Config) -> list[Flag]:
    flags = []
    for change in diff.entry_points:
        kind = GROUPS.get(change.group)
        if kind is None or change.change == "removed":
            continue
        verb = "new" if change.change == "added" else "changed"
        flags.append(Flag(RULE, f"{verb} {kind} {change.name!r}: installs a command that runs "
                          f"{change.new}", detail=f"was {change.old}" if change.old else ""))
    return flags
