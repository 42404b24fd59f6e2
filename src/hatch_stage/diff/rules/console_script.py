"""Review rule ``console-script``: a command added or pointed at other code.

A console script (or GUI script, or npm ``bin`` entry) puts a command on the user's PATH; a
new one can shadow a common command (``pip``, ``git``, ``python``) or run code the user
never meant to call.
"""

from __future__ import annotations

from ..model import Flag, ReleaseDiff

RULE = "console-script"
GROUPS = {"console_scripts": "console script", "gui_scripts": "GUI script", "bin": "npm bin entry"}


def review_release(diff: ReleaseDiff) -> list[Flag]:
    flags = []
    for change in diff.entry_points:
        kind = GROUPS.get(change.group)
        if kind is None or change.change == "removed":
            continue
        verb = "new" if change.change == "added" else "changed"
        flags.append(Flag(RULE, f"{verb} {kind} {change.name!r}: installs a command that runs "
                          f"{change.new}", detail=f"was {change.old}" if change.old else ""))
    return flags
