"""Review rule ``install-script``: an npm install-time script added or changed.

npm runs ``preinstall``, ``install`` and ``postinstall`` on every machine that installs the
package (``prepare`` for git and local installs), and runs ``node-gyp rebuild`` when a
``binding.gyp`` ships without an install script: the way most npm compromises execute.
"""

from __future__ import annotations

from ..model import Flag, ReleaseDiff

RULE = "install-script"
SCRIPTS = ("preinstall", "install", "postinstall", "prepare")


def review_release(diff: ReleaseDiff) -> list[Flag]:
    if diff.target != "npm":
        return []
    flags = [Flag(RULE, f"{change.field} {change.change}: npm runs it when the package is "
                  "installed", detail=f"{change.new}")
             for change in diff.metadata
             if change.field.removeprefix("scripts.") in SCRIPTS
             and change.field.startswith("scripts.") and change.change != "removed"]
    for artifact in diff.artifacts:
        for file in artifact.files:
            if file.path.partition("/")[2] == "binding.gyp" and file.change == "added":
                flags.append(Flag(RULE, "binding.gyp added: npm runs node-gyp rebuild (a native "
                                  "build) when the package is installed",
                                  artifact=artifact.filename, member=file.path))
    return flags
