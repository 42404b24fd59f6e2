"""Does a wheel come from its sdist? Comparing a staged wheel with one rebuilt from the sdist.

Member by member, by name and sha256. Ignored, because they differ between honest builds:
``RECORD`` (and its signatures), which only lists the other members' hashes; the
``Generator`` line of ``WHEEL`` (the backend's version); and timestamps, which are not part
of a member's bytes. Only pure-Python wheels are rebuilt: a platform wheel holds compiled
code whose bytes depend on the compiler, libraries and platform that built it. The rebuild
itself is :func:`hatch_stage.pep517.rebuild_wheel`'s, from the sdist :func:`unpack_sdist` wrote.

Neutral: reads archives only through :mod:`hatch_stage.archive`, imports no pipeline,
plugin, command or registry code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from .archive import iter_entries, iter_members
from .config import ScanLimits
from .errors import PackError
from .models import Artifact

Problem = Literal["differs", "only in the staged wheel", "missing from the staged wheel"]
Status = Literal["verified", "differs", "not checked"]
_SIGNATURES = ("RECORD", "RECORD.jws", "RECORD.p7s")


@dataclass(frozen=True)
class MemberDifference:
    """One member that is not the same in the staged and the rebuilt wheel."""

    member: str
    problem: Problem
    staged_sha256: str | None
    rebuilt_sha256: str | None

    def as_json(self) -> dict[str, Any]:
        return {"member": self.member, "problem": self.problem,
                "staged_sha256": self.staged_sha256, "rebuilt_sha256": self.rebuilt_sha256}


@dataclass(frozen=True)
class WheelVerdict:
    """What verify found for one staged wheel."""

    filename: str
    status: Status
    reason: str
    #: the wheel rebuilt from the sdist, when one was built
    rebuilt: str | None = None
    differences: tuple[MemberDifference, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "status": self.status, "reason": self.reason,
                "rebuilt": self.rebuilt,
                "differences": [difference.as_json() for difference in self.differences]}


def platform_reason(filename: str) -> str | None:
    """Why a wheel cannot be rebuilt and compared here; None for a pure-Python wheel."""
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename as error:
        return f"not a valid wheel file name: {error}"
    native = sorted(str(tag) for tag in tags if tag.abi != "none" or tag.platform != "any")
    if native:
        return (f"a platform wheel ({', '.join(native)}): its compiled code depends on the "
                "compiler, libraries and platform that built it, so a rebuild here cannot "
                "reproduce its bytes; only pure-Python wheels are checked")
    return None


def _ignored(name: str) -> bool:
    folder, _, base = name.partition("/")
    return folder.endswith(".dist-info") and base in _SIGNATURES


def _is_wheel_file(name: str) -> bool:
    folder, _, base = name.partition("/")
    return folder.endswith(".dist-info") and base == "WHEEL"


def member_digests(wheel: Artifact, limits: ScanLimits) -> dict[str, str]:
    """Member name -> sha256, RECORD left out, WHEEL hashed without its Generator line."""
    digests = {}
    for entry in iter_entries(wheel, limits, hold=_is_wheel_file):
        if _ignored(entry.name):
            continue
        if _is_wheel_file(entry.name) and entry.data is not None:
            kept = [line for line in entry.data.splitlines(keepends=True)
                    if not line.lower().startswith(b"generator:")]
            digests[entry.name] = hashlib.sha256(b"".join(kept)).hexdigest()
        else:
            digests[entry.name] = entry.sha256
    return digests


def compare_wheels(staged: Artifact, rebuilt: Artifact, limits: ScanLimits) -> WheelVerdict:
    """The verdict on ``staged`` against the wheel ``rebuilt`` from the sdist."""
    mine, theirs = member_digests(staged, limits), member_digests(rebuilt, limits)
    differences = [MemberDifference(name, "differs", digest, theirs[name])
                   for name, digest in mine.items() if name in theirs and theirs[name] != digest]
    differences += [MemberDifference(name, "only in the staged wheel", digest, None)
                    for name, digest in mine.items() if name not in theirs]
    differences += [MemberDifference(name, "missing from the staged wheel", None, digest)
                    for name, digest in theirs.items() if name not in mine]
    if differences:
        count = len(differences)
        return WheelVerdict(staged.filename, "differs",
                            f"{count} member{'s' if count != 1 else ''} differ from the wheel "
                            "built from the sdist", rebuilt.filename, tuple(differences))
    return WheelVerdict(staged.filename, "verified",
                        f"every member matches the wheel built from the sdist ({len(mine)} "
                        "members; RECORD and the WHEEL Generator line ignored)", rebuilt.filename)


def unpack_sdist(artifact: Artifact, limits: ScanLimits, destination: Path) -> Path:
    """Write the members of an sdist under ``destination``; the project folder inside it.

    An sdist is untrusted input: its members are read through
    :func:`hatch_stage.archive.iter_members` (links leaving the archive, absolute and ``..``
    paths and oversized members refused), so nothing can land outside ``destination``.
    """
    tops: set[str] = set()
    for member in iter_members(artifact, limits):
        target = destination.joinpath(*member.name.replace("\\", "/").split("/"))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.data)
        except OSError as error:  # a member whose path is also a folder's, and the like
            raise PackError(f"{artifact.filename}: cannot unpack member {member.name!r}: "
                            f"{error.strerror}") from None
        tops.add(member.name.split("/", 1)[0])
    if len(tops) != 1 or not (destination / next(iter(tops))).is_dir():
        raise PackError(f"{artifact.filename} is not an sdist: it should hold exactly one "
                        f"top-level folder, not {sorted(tops)[:5]}")
    return destination / tops.pop()
