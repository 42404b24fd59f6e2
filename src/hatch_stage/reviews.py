"""What this machine last reviewed, per stage id: the digest ``view`` or ``download`` showed.

``hatch-stage approve ID`` binds the approval to that digest when no ``--digest`` is given,
so what goes live is exactly what the maintainer looked at on this machine. One small JSON
file per stage id under ``$XDG_STATE_HOME/hatch-stage/reviews`` (else
``~/.local/state/hatch-stage/reviews``), kept by :mod:`hatch_stage.statefiles`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import statefiles

KIND = "reviews"


@dataclass(frozen=True)
class Review:
    """One staged release as a review command showed it."""

    stage_id: str
    #: the registry it was read from, as shown to the user
    registry: str
    #: what an approval is bound to: the release digest (Python) or the tarball integrity (npm)
    digest: str
    #: file name -> the hash shown for it
    files: Mapping[str, str] = field(default_factory=dict)
    #: the command that showed it: view, download or approve (the terminal confirmation)
    command: str = "view"
    at: float = 0.0


def remember(review: Review) -> None:
    """Record ``review`` as this machine's latest review of its stage id (best effort: a
    read-only home only means approve will ask again)."""
    statefiles.write(KIND, review.stage_id, {
        "stage_id": review.stage_id, "registry": review.registry, "digest": review.digest,
        "files": dict(review.files), "command": review.command, "at": review.at or time.time()})


def recall(stage_id: str) -> Review | None:
    """This machine's latest review of ``stage_id``, if there is one."""
    document = statefiles.read(KIND, stage_id)
    try:
        if (document is None or document.get("stage_id") != stage_id
                or not isinstance(document.get("digest"), str)):
            return None
        return Review(stage_id, str(document.get("registry", "")), document["digest"],
                      dict(document.get("files") or {}), str(document.get("command", "view")),
                      float(document.get("at", 0)))
    except (ValueError, TypeError, AttributeError):
        return None
