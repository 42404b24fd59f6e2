"""detect-secrets over every member of every artifact (the ``detect-secrets`` plugin's scan).

Members are read in memory through :func:`hatch_stage.archive.iter_members`, never extracted,
and scanned by :mod:`hatch_stage.secretscan` (detect-secrets' plugins and filters, many times
faster). ``# pragma: allowlist secret`` is honoured; binary members are skipped, as
detect-secrets skips them. A finding carries the secret's sha1 and a masked form, never the
secret, and the confidence :mod:`.confidence` gives it.

Two modes:

- default: detect-secrets' plugins plus the provider and credential-file detectors of
  :mod:`.detectors`; lock files and a committed ``.secrets.baseline`` are not scanned, and
  known non-secrets (hashes, commit ids, documented examples, placeholders) are not findings;
- exact: detect-secrets' own plugins only, every finding kept: exactly what
  ``detect-secrets scan --all-files --no-verify`` reports for the unpacked files (member path as
  file name, one finding per secret and file, on its first line).

In both, a file a detect-secrets transformer cannot parse is scanned line by line instead, with
a :class:`~hatch_stage.models.Note` naming it.

Each member is scanned on its own (:func:`_scan_member`), so a large release is scanned in
worker processes, a batch of members each, and put back in order (:mod:`.parallel`).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..archive import iter_members
from ..config import ScanLimits
from ..models import Artifact, Finding, Member, Note, member_path
from .confidence import (
    ENTROPY_TYPES,
    GENERIC_TYPES,
    is_known_non_secret,
    is_lock_file,
    judge_secret,
)
from .parallel import scan_in_order
from .scan_cache import MemberScan, ScanCache, member_key, open_cache

if TYPE_CHECKING:
    from ..secretscan import Scanner, Secret

#: the file detect-secrets keeps its baseline in, by default
BASELINE_NAME = ".secrets.baseline"


@dataclass(frozen=True)
class SecretScan:
    """What the secret scan found, and what it noted along the way."""

    findings: tuple[Finding, ...]
    notes: tuple[Note, ...]


def is_baseline_document(member: Member, names: Sequence[str] = (BASELINE_NAME,)) -> bool:
    """A detect-secrets baseline: its ``hashed_secret`` lines are hashes of reviewed secrets,
    not secrets (detect-secrets skips its own baseline file too)."""
    if member_path(member.name).name not in names:
        return False
    try:
        document = json.loads(member.data)
    except ValueError:
        return False
    return isinstance(document, dict) and isinstance(document.get("results"), dict) and (
        "version" in document
    )


def scan_secrets(artifacts: Sequence[Artifact], limits: ScanLimits, *, exact: bool = False,
                 baseline_names: Sequence[str] = (BASELINE_NAME,),
                 workers: int | None = None, cache_dir: Path | None = None) -> SecretScan:
    """Scan every text member of ``artifacts`` (see the module docstring for the modes).

    A large release is scanned on several cores (:mod:`.parallel`: ``workers`` processes, by
    default one per core; 1 scans here); the findings and notes, and their order, are the
    same either way. With ``cache_dir``, a member this code scanned before under the same
    name with the same bytes takes the kept result (:mod:`.scan_cache`), so a run whose
    members are all known sets up no scanner at all.
    """
    findings: list[Finding] = []
    notes: list[Note] = []
    members = _scanned_members(artifacts, limits, exact, tuple(baseline_names))
    cache = None if cache_dir is None else open_cache(cache_dir, exact)
    scans = (scan_in_order(members, _Setup(exact), workers) if cache is None
             else _cached_scans(members, cache, _Setup(exact), workers))
    for found, noted in scans:
        findings.extend(found)
        notes.extend(noted)
    if cache is not None:
        cache.save()
    return SecretScan(tuple(findings), tuple(notes))


def _cached_scans(members: Iterator[Member], cache: ScanCache, setup: _Setup,
                  workers: int | None) -> Iterator[MemberScan]:
    """Each member's scan, in order: the kept one where the cache has it, else scanned (and
    kept). Only the members the cache lacks go to the scanner; their results come back in
    the order they were sent, and each is put back in its place among the kept ones."""
    # every member read so far, in order: its key, and its kept scan or None (being scanned)
    waiting: deque[tuple[str, MemberScan | None]] = deque()

    def unknown() -> Iterator[Member]:
        for member in members:
            key = member_key(member)
            kept = cache.get(key, member)
            waiting.append((key, kept))
            if kept is None:
                yield member

    for scanned in scan_in_order(unknown(), setup, workers):
        key, kept = waiting.popleft()
        while kept is not None:  # known members before this one
            yield kept
            key, kept = waiting.popleft()
        cache.put(key, scanned)
        yield scanned
    for _key, kept in waiting:  # known members after the last one scanned
        if kept is not None:
            yield kept


def _scanned_members(artifacts: Sequence[Artifact], limits: ScanLimits, exact: bool,
                     baseline_names: tuple[str, ...]) -> Iterator[Member]:
    """The members the scan reads, in order."""
    for artifact in artifacts:
        # detect-secrets skips what is not UTF-8 text; left unread, it costs no memory
        for member in iter_members(artifact, limits, skip_binary=True):
            # a link's bytes are the member it leads to, scanned under its own name
            if member.binary or member.link is not None or (not exact and (
                is_lock_file(member.name) or is_baseline_document(member, baseline_names)
            )):
                continue
            yield member


@dataclass(frozen=True)
class _Setup:
    """How to make a member scanner, here or in a worker process."""

    exact: bool

    def __call__(self, stack: ExitStack) -> Callable[[Member], MemberScan]:
        # imported here: detect-secrets costs a tenth of a second to import, and only scans
        # need it
        from ..detect_secrets_loading import load_detect_secrets
        from ..secretscan import scanner

        load_detect_secrets()  # before detectors, which imports detect-secrets itself
        from . import detectors

        classes = str(Path(detectors.__file__).with_name("detector_classes.py"))
        custom = None if self.exact else {classes: list(detectors.DETECTORS)}
        scan = stack.enter_context(scanner(custom))
        return partial(_scan_member, scan, exact=self.exact)


def _scan_member(scan: Scanner, member: Member, *, exact: bool) -> MemberScan:
    """The findings and notes of one member."""
    from ..secretscan import mask

    try:
        secrets = scan.scan(member.name, member.data)
    except Exception as error:  # a plugin choking on the file: note it, go on
        return [], [Note(f"could not be scanned ({type(error).__name__})", member.artifact,
                         member.name)]
    notes = [
        Note(f"detect-secrets could not parse it ({error}); it was scanned line by line "
             "instead", member.artifact, path)
        for path, error in scan.unparsed
    ]
    scan.unparsed.clear()
    if not secrets:
        return [], notes
    findings = []
    lines = _lines(member.data)
    for secret in secrets:
        line = lines[secret.line - 1] if secret.line <= len(lines) else ""
        if not exact and (
            is_known_non_secret(member.name, secret.type, secret.value, line)
            or _judged_by_format(secret, secrets)
        ):
            continue
        verdict = judge_secret(member.name, secret.type, secret.value, lines, secret.line - 1)
        findings.append(Finding(
            artifact=member.artifact,
            member=member.name,
            line=secret.line,
            type=secret.type,
            masked=mask(secret.value),
            hashed_secret=secret.hashed_secret,
            confidence=verdict.confidence,
            rule=verdict.rule,
        ))
    return findings, notes


def find_secrets(artifacts: Sequence[Artifact], limits: ScanLimits, *,
                 exact: bool = False, workers: int | None = None) -> list[Finding]:
    """Every secret finding in the members of ``artifacts`` (see :func:`scan_secrets`)."""
    return list(scan_secrets(artifacts, limits, exact=exact, workers=workers).findings)


def _judged_by_format(secret: Secret, others: Sequence[Secret]) -> bool:
    """An entropy string that a format detector also found on its line: the format decides
    (a provider token whose checksum fails is not a secret because it is random)."""
    if secret.type not in ENTROPY_TYPES:
        return False
    return any(
        other.line == secret.line and other.type not in GENERIC_TYPES and other.value
        and (other.value in secret.value or secret.value in other.value)
        for other in others
    )


def _lines(data: bytes) -> list[str]:
    """The member's lines as the scanner numbers them (universal newlines)."""
    text = data.decode("utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")
