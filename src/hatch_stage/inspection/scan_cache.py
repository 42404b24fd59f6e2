"""What the secret scan gave for a member, kept between runs of the client (``check``,
``publish``), so that a pre-commit run on unchanged files does not import and set up
detect-secrets again.

Why a hit can never hide a secret. The scan of one member (:func:`.secrets._scan_member`) is a
pure function of the member's name, its bytes, the scan mode and the code that scans: it
reads nothing else (no clock, no network, no settings but detect-secrets' defaults, which are
code too). An entry is keyed by the sha256 of the name and the bytes, in a file that holds
the :func:`fingerprint` of everything else: the mode, the Python version and the sha256 of the
source of hatch-stage's scan (:mod:`hatch_stage.secretscan`, :mod:`hatch_stage.models`, every
module of :mod:`hatch_stage.inspection`), of detect-secrets and of PyYAML (its YAML
transformer's parser). A different fingerprint discards the whole file. So a hit returns what
this very code returned for these very bytes under this very name; a changed byte, name,
mode or line of code is a miss and is scanned.

The file is the user's own: it lives in hatch-stage's cache directory (never in a project,
where a commit could plant entries), is written with mode 0600, and is ignored unless this
user owns it and no one else may write to it. It holds findings as the report shows them
(masked, with detect-secrets' sha1), never a secret. A member whose scan raised is never
kept. The registry never uses it: it scans every upload afresh.

``HATCH_STAGE_SCAN_CACHE=0`` turns it off.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..models import Finding, Member, Note

#: the environment variable that turns the cache off ("0")
CACHE_VARIABLE = "HATCH_STAGE_SCAN_CACHE"
#: bump when the file's layout changes
FORMAT = 1
#: entries kept in the file: the members of the last runs, newest last (at some 100 bytes an
#: entry, the file stays small enough to read in a few milliseconds)
MAX_ENTRIES = 20_000
#: hatch-stage modules whose code decides a member's scan, besides every module of
#: :mod:`hatch_stage.inspection`
_OWN_MODULES = ("secretscan.py", "models.py")
#: other packages whose code decides it
_PACKAGES = ("detect_secrets", "yaml")

#: what scanning one member gives: its findings and its notes
MemberScan = tuple[list[Finding], list[Note]]


def enabled() -> bool:
    """Whether the client may use the cache (``HATCH_STAGE_SCAN_CACHE`` is not "0")."""
    return os.environ.get(CACHE_VARIABLE, "").strip() not in ("0", "off", "no", "false")


def _sources() -> list[Path]:
    package = Path(__file__).resolve().parent.parent
    files = [package / name for name in _OWN_MODULES]
    files += sorted(Path(__file__).resolve().parent.glob("*.py"))
    for name in _PACKAGES:
        spec = importlib.util.find_spec(name)  # finds a top-level package without importing it
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            files += sorted(Path(location).rglob("*.py"))
    return files


def fingerprint(exact: bool) -> str:
    """The sha256 of everything a member's scan depends on besides its name and bytes."""
    digest = hashlib.sha256(f"hatch-stage scan cache {FORMAT}\0{exact}\0{sys.version}\0"
                            .encode())
    for path in _sources():
        digest.update(f"{path.name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def member_key(member: Member) -> str:
    """The sha256 of the member's name and bytes (the name is length-prefixed, so no two
    (name, bytes) pairs share their input)."""
    name = member.name.encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(len(name).to_bytes(8, "big") + name)
    digest.update(member.data)
    return digest.hexdigest()


class ScanCache:
    """The cache file of one scan mode, read on open and written by :meth:`save`."""

    def __init__(self, path: Path, exact: bool) -> None:
        self.path = path
        self.fingerprint = fingerprint(exact)
        self._old: dict[str, Any] = self._read()
        self._used: dict[str, Any] = {}

    def _read(self) -> dict[str, Any]:
        try:
            with self.path.open("rb") as stream:
                status = os.fstat(stream.fileno())
                # another user's file, or one others may write, could plant "clean" entries
                if status.st_uid != os.getuid() or status.st_mode & 0o022:
                    return {}
                document = json.load(stream)
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("fingerprint") != self.fingerprint:
            return {}
        entries = document.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, key: str, member: Member) -> MemberScan | None:
        """The scan kept for ``key``, as findings and notes about ``member``; None: scan it."""
        entry = self._old.get(key, self._used.get(key))
        if entry is None:
            return None
        try:
            findings = [Finding(**{**fields, "artifact": member.artifact})
                        for fields in entry["findings"]]
            notes = [Note(**{**fields, "artifact": member.artifact}) for fields in entry["notes"]]
        except (KeyError, TypeError):
            return None
        self._used[key] = entry
        return findings, notes

    def put(self, key: str, scan: MemberScan) -> None:
        """Keep the scan of the member ``key`` names, unless it raised (noted as such)."""
        findings, notes = scan
        if any(note.message.startswith("could not be scanned") for note in notes):
            return
        self._used[key] = {
            "findings": [_without_artifact(finding) for finding in findings],
            "notes": [_without_artifact(note) for note in notes],
        }

    def save(self) -> None:
        """Write the entries used in this run, after the older ones that still fit; never
        fails the scan (a cache that cannot be written is only slower next time)."""
        kept = {key: entry for key, entry in self._old.items() if key not in self._used}
        entries = [*kept.items(), *self._used.items()][-MAX_ENTRIES:]
        document = {"fingerprint": self.fingerprint, "entries": dict(entries)}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".scan-cache-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump(document, stream, separators=(",", ":"))
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass


def _without_artifact(result: Finding | Note) -> dict[str, Any]:
    fields = dataclasses.asdict(result)
    del fields["artifact"]
    return fields


def open_cache(directory: Path, exact: bool) -> ScanCache:
    """The cache of ``exact`` or default mode scans in ``directory``."""
    return ScanCache(directory / f"scan-{'exact' if exact else 'default'}.json", exact)
