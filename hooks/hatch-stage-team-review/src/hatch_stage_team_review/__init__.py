"""Team review rule ``new-top-level-name``: a wheel ships an import name it did not ship before.

Installed wheels share one site-packages: a new top-level name can shadow another project's
package (``requests/`` inside an unrelated wheel) or run code at start-up (a ``.pth``).
Only releases after the first are judged: on a first release every name is new.
"""

from __future__ import annotations

from hatch_stage.config import Config
from hatch_stage.diff import Flag, ReleaseDiff
from hatch_stage.hookspecs import impl

RULE = "new-top-level-name"


def top_level(path: str) -> str | None:
    """The name a wheel member installs at the top of site-packages, None for its metadata."""
    top = path.split("/", 1)[0]
    if top.endswith((".dist-info", ".data")):
        return None
    return top


@impl
def hatch_stage_review_release(diff: ReleaseDiff, config: Config) -> list[Flag]:
    if diff.first_release:
        return []
    flags = []
    for wheel in diff.artifacts:
        if wheel.kind != "wheel" or wheel.against is None:
            continue
        added = {file.path for file in wheel.files if file.change == "added"}
        before = {top_level(path) for path in wheel.members if path not in added}
        new = {top_level(path) for path in added} - before
        for name in sorted(name for name in new if name is not None):
            flags.append(Flag(RULE, f"{name} is a new top-level name in site-packages: check "
                              "that it belongs to this project", artifact=wheel.filename))
    return flags
