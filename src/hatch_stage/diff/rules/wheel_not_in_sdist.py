"""Review rule ``wheel-not-in-sdist``: code in the wheel that its sdist does not hold.

The sdist is the reviewable source of a release; a wheel member found nowhere in it (by
path or by content) did not come from that source, which is how a compromised build
injects code. Only added and changed wheel members are checked, and only code and data a
build copies (metadata in ``.dist-info`` is generated; native binaries of a platform wheel
are compiled, see ``hatch-stage verify``).
"""

from __future__ import annotations

from ..model import ArtifactDiff, Flag, ReleaseDiff
from .native_binary import SUFFIX

RULE = "wheel-not-in-sdist"


def _in_sdist(path: str, sha256: str, sdist: ArtifactDiff, hashes: set[str]) -> bool:
    if sha256 in hashes:
        return True
    # hatchling and setuptools map src/pkg/x.py to pkg/x.py: match on the path's tail
    return any(name.endswith("/" + path) for name in sdist.members)


def review_release(diff: ReleaseDiff) -> list[Flag]:
    sdists = [artifact for artifact in diff.artifacts if artifact.kind == "sdist"]
    if not sdists:
        return []
    sdist = sdists[0]
    hashes = set(sdist.members.values())
    flags = []
    for wheel in diff.artifacts:
        if wheel.kind != "wheel":
            continue
        for file in wheel.files:
            if file.change == "removed" or file.new_sha256 is None:
                continue
            folder = file.path.split("/", 1)[0]
            if folder.endswith(".dist-info") or SUFFIX.search(file.path):
                continue
            if not _in_sdist(file.path, file.new_sha256, sdist, hashes):
                flags.append(Flag(RULE, f"not in the sdist {sdist.filename}: it did not come from "
                                  "the release's source", artifact=wheel.filename,
                                  member=file.path))
    return flags
