"""Review rule ``build-changed``: what runs when the sdist is built changed.

Installing from an sdist runs its build backend with the user's rights: ``setup.py``, a
hatch build hook (``hatch_build.py``), the backend named in ``[build-system]`` and the
packages in its ``requires``. A change to any of them is code that runs on every machine
that builds the release (pip does, whenever no wheel fits).
"""

from __future__ import annotations

from ..model import Flag, ReleaseDiff

RULE = "build-changed"
#: sdist files (at the project root) whose code runs at build time
BUILD_SCRIPTS = ("setup.py", "hatch_build.py")
#: metadata fields (see hatch_stage.diff.python.build_settings) that decide the build
BUILD_FIELDS = ("build-system.", "tool.hatch.build.hooks")


def review_release(diff: ReleaseDiff) -> list[Flag]:
    flags = []
    for artifact in diff.artifacts:
        if artifact.kind != "sdist":
            continue
        for file in artifact.files:
            relative = file.path.partition("/")[2]
            if relative in BUILD_SCRIPTS and file.change != "removed":
                flags.append(Flag(RULE, f"{relative} {file.change}: it runs whenever the sdist "
                                  "is built", artifact=artifact.filename, member=file.path))
    settings = [change for change in diff.metadata if change.field.startswith(BUILD_FIELDS)]
    if diff.first_release and settings:
        # nothing to compare with: one flag naming the build system, not one per setting
        shown = "; ".join(f"{change.field} = {change.new}" for change in settings)
        return [*flags, Flag(RULE, "a first release: check what runs when the sdist is built",
                             detail=shown)]
    flags += [Flag(RULE, f"{change.field} {change.change}: it decides what runs when the sdist "
                   "is built", detail=f"{change.old} -> {change.new}") for change in settings]
    return flags
