"""What this machine last reviewed, per stage id: the digest ``view`` or ``download`` showed.

``hatch-stage approve ID`` binds the approval to that digest when no ``--digest`` is given,
so what goes live is exactly what the maintainer looked at on this machine. One small JSON
file per stage id under ``$XDG_STATE_HOME/hatch-stage/reviews`` (else
``~/.local/state/hatch-stage/reviews``), written atomically; records older than the longest
a stage can live (30 days) are dropped whenever a new one is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: how long a record is kept: no staged release lives longer
KEEP_SECONDS = 30 * 24 * 3600
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


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


def directory() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser() / "hatch-stage" / "reviews"


def _path(stage_id: str) -> Path:
    # stage ids are checked before they get here; hash anything unusual all the same
    name = stage_id if _SAFE_ID.match(stage_id) else hashlib.sha256(stage_id.encode()).hexdigest()
    return directory() / f"{name}.json"


def remember(review: Review) -> None:
    """Record ``review`` as this machine's latest review of its stage id (best effort: a
    read-only home only means approve will ask again)."""
    target = _path(review.stage_id)
    document = {"stage_id": review.stage_id, "registry": review.registry,
                "digest": review.digest, "files": dict(review.files),
                "command": review.command, "at": review.at or time.time()}
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream)
            os.replace(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        _prune(target.parent)


def recall(stage_id: str) -> Review | None:
    """This machine's latest review of ``stage_id``, if there is one."""
    try:
        document = json.loads(_path(stage_id).read_text(encoding="utf-8"))
        if document.get("stage_id") != stage_id or not isinstance(document.get("digest"), str):
            return None
        return Review(stage_id, str(document.get("registry", "")), document["digest"],
                      dict(document.get("files") or {}), str(document.get("command", "view")),
                      float(document.get("at", 0)))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def _prune(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
