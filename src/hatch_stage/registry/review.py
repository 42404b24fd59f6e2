"""What the review page shows about one staged release, beyond its session: the release's
own description (summary and README, from its core metadata) and what changed since the
published release it follows, with the flags of the built-in review rules.

The diff is :func:`hatch_stage.diff.compare_releases`, the command line's own comparison,
computed here on the registry's blobs (nothing is downloaded, nothing is built: reading
archives runs none of the package's code). The rules are the built-in ones of
:mod:`hatch_stage.diff.rules` minus those the operator disabled: the registry never loads the
client's plugins, so a team's own rules show in ``hatch-stage diff`` and ``view`` only.
Diffs are kept in a small cache keyed by the files' sha256, so reloading a page is cheap and
a changed release is never shown an old diff.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.utils import canonicalize_version
from packaging.version import Version

from ..archive import iter_entries
from ..diff import BuiltinRules, DiffLimits, ReleaseDiff, compare_releases
from ..diff.previous import latest_before
from ..errors import HatchStageError
from ..models import Artifact
from . import grouping, index, sessions
from .context import Context
from .problems import Problem
from .views import GroupView, Principal, ReleasedFile, SessionView

log = logging.getLogger("hatch_stage.registry")
#: how many diffs the cache keeps (each is bounded by DiffLimits: a few MiB at most)
CACHE_SIZE = 8
#: the most releases the list of decidable ones shows
MAX_LISTED = 100


@dataclass(frozen=True)
class Description:
    """The release's own words about itself, from its core metadata (untrusted text)."""

    #: the file it was read from (a wheel's METADATA, else the sdist's PKG-INFO)
    source: str
    summary: str | None
    #: the long description (the README)
    text: str | None
    #: ``Description-Content-Type`` (text/markdown, text/x-rst, text/plain), if declared
    content_type: str | None


@dataclass(frozen=True)
class Review:
    """Everything the review page shows about one session."""

    session: SessionView
    description: Description | None
    #: the release against the one it follows; None when it could not be computed
    diff: ReleaseDiff | None
    #: why there is no diff
    diff_error: str | None
    #: the rules the flags come from
    rules: tuple[str, ...]
    #: the group the release was staged with, its members in order; None when it has none,
    #: or when the reviewer's token does not cover every member (the page then names the
    #: group only)
    group: GroupView | None = None


def decidable(ctx: Context, principal: Principal) -> tuple[list[SessionView], int]:
    """The staged releases the principal may approve or reject (open or in error, not
    expired, of projects its token covers), newest first, and how many there are."""
    found: list[SessionView] = []
    total = 0
    for status in ("open", "error"):
        views, count = sessions.listing(ctx, principal, status=status, per_page=MAX_LISTED)
        found += views
        total += count
    found.sort(key=lambda view: (-view.created_at, view.id))
    return found[:MAX_LISTED], total


def review(ctx: Context, principal: Principal, session_id: str) -> Review:
    """The session and what the page shows about it."""
    view = sessions.get(ctx, principal, session_id)
    staged = [(file.filename, file.sha256) for file in view.files if file.status == "completed"]
    rules = BuiltinRules(ctx.settings.disabled_rules)
    diff, why = None, None
    description = None
    if staged:
        try:
            description = _description(ctx, staged)
            diff = _diff(ctx, view, staged, rules)
        except (OSError, HatchStageError) as error:
            why = f"the release could not be compared: {error}"
        except Exception:  # a package may trip anything; the rest of the page must still show
            log.exception("the review of session %s could not compare the release", view.id)
            why = "the release could not be compared (an internal error; see the server log)"
    else:
        why = "no file of this release is completed yet"
    return Review(view, description, diff, why, tuple(rule.name for rule in rules.rules),
                  _group(ctx, principal, view))


def _group(ctx: Context, principal: Principal, view: SessionView) -> GroupView | None:
    if view.group is None:
        return None
    try:
        return grouping.get(ctx, principal, view.group.id)
    except Problem:  # a member the token does not cover: the page names the group only
        return None


def _artifacts(ctx: Context, stack: contextlib.ExitStack,
               files: Sequence[tuple[str, str]]) -> list[Artifact]:
    found = []
    for filename, sha256 in files:
        try:
            found.append(Artifact.from_path(stack.enter_context(
                ctx.blobs.local_file(sha256, filename))))
        except ValueError:
            continue  # not a kind the diff compares
    return found


def _description(ctx: Context, staged: Sequence[tuple[str, str]]) -> Description | None:
    # a wheel's METADATA is one zip member away; an sdist's PKG-INFO is read only without one
    ordered = sorted(staged, key=lambda file: not file[0].endswith(".whl"))
    with contextlib.ExitStack() as stack:
        for artifact in _artifacts(ctx, stack, ordered):
            wanted = _metadata_member(artifact)
            for entry in iter_entries(artifact, ctx.settings.limits, select=wanted):
                if entry.data is None:
                    continue
                raw, _ = parse_email(entry.data)
                return Description(f"{artifact.filename}: {entry.name}", raw.get("summary"),
                                   raw.get("description"), raw.get("description_content_type"))
    return None


def _metadata_member(artifact: Artifact) -> Callable[[str], bool]:
    if artifact.kind == "wheel":
        return lambda name: name.count("/") == 1 and name.endswith(".dist-info/METADATA")
    return lambda name: name.count("/") == 1 and name.endswith("/PKG-INFO")


def _previous(ctx: Context, view: SessionView) -> tuple[str | None, list[ReleasedFile]]:
    """The published release the staged one follows, and its files."""
    by_version: dict[str, list[ReleasedFile]] = {}
    own = canonicalize_version(view.version)
    for released in index.released_files(ctx, view.project):
        if canonicalize_version(released.version) != own:  # a published session's own files
            by_version.setdefault(released.version, []).append(released)
    chosen = latest_before(by_version, view.version, Version)
    return chosen, by_version.get(chosen, []) if chosen else []


def _diff(ctx: Context, view: SessionView, staged: Sequence[tuple[str, str]],
          rules: BuiltinRules) -> ReleaseDiff:
    against, previous = _previous(ctx, view)
    old = [(file.filename, file.sha256) for file in previous]
    key = (view.name, view.version, against, tuple(sorted(staged)), tuple(sorted(old)),
           tuple(rule.name for rule in rules.rules))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    with contextlib.ExitStack() as stack:
        diff = compare_releases(
            _artifacts(ctx, stack, staged), _artifacts(ctx, stack, old), target="python",
            name=view.name, version=view.version, against=against, rules=rules,
            limits=ctx.settings.limits, text_diffs=DiffLimits())
    _CACHE.put(key, diff)
    return diff


class _DiffCache:
    """A few recent diffs. Keys name every file by sha256, so an entry is never stale."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[object, ReleaseDiff] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: object) -> ReleaseDiff | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: object, diff: ReleaseDiff) -> None:
        with self.lock:
            self.entries[key] = diff
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_CACHE = _DiffCache(CACHE_SIZE)
