"""Small JSON records this machine keeps between commands: one file per record under
``$XDG_STATE_HOME/hatch-stage/<kind>/`` (else ``~/.local/state/hatch-stage/<kind>/``),
written atomically, readable only by the user; records older than the longest a stage can
live (30 days) are dropped whenever a new one is written. Best effort: a read-only home only
means the record is not kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

#: how long a record is kept: no staged release lives longer
KEEP_SECONDS = 30 * 24 * 3600
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def directory(kind: str) -> Path:
    """Where records of ``kind`` ("reviews", "groups") live."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser() / "hatch-stage" / kind


def _path(kind: str, key: str) -> Path:
    # keys are checked before they get here; hash anything unusual all the same
    name = key if _SAFE_KEY.match(key) else hashlib.sha256(key.encode()).hexdigest()
    return directory(kind) / f"{name}.json"


def write(kind: str, key: str, document: dict[str, Any]) -> None:
    """Keep ``document`` as the record ``key`` of ``kind``, replacing an earlier one."""
    target = _path(kind, key)
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


def read(kind: str, key: str) -> dict[str, Any] | None:
    """The record ``key`` of ``kind``, if there is a readable one."""
    return _load(_path(kind, key))


def read_all(kind: str) -> list[dict[str, Any]]:
    """Every readable record of ``kind``, newest first."""
    paths = sorted(directory(kind).glob("*.json"), key=_modified, reverse=True)
    return [document for document in map(_load, paths) if document is not None]


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _load(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _prune(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
