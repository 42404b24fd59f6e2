"""The pipeline contract: one hook per stage, in the order a release goes through them.

A plugin is a module or object with functions decorated by :data:`impl` whose names are the
hooks below. Built-in plugins (``hatch_stage.plugins``) are registered exactly like outside
ones, which load from the entry-point group ``hatch_stage``; ``[tool.hatch-stage] disable``
blocks any of them by name.

Order of a run: pack -> rewrite -> scan -> score (``--dry-run`` and ``check`` stop here)
-> auth -> sign -> upload.

Reviewing a staged release (``diff``, ``view``) compares it with the previous release and
calls the two review hooks: review_member for every added or changed member, then
review_release once for the whole diff. Their flags tell the reviewer what to look at.

A hook that is not meant for the project at hand (say an npm packer asked about a Python
project) returns ``None``; for "first result" hooks that hands the call to the next plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pluggy

from .config import Config
from .models import (
    Artifact,
    Attestation,
    Check,
    Credentials,
    Finding,
    Note,
    Project,
    StagedRelease,
)

if TYPE_CHECKING:  # the review hooks' types: a command that reviews nothing loads no diff
    from .diff.model import ChangedMember, Flag, ReleaseDiff

NAME = "hatch_stage"

_F = TypeVar("_F", bound=Callable[..., Any])
_spec_marker = pluggy.HookspecMarker(NAME)
_impl_marker = pluggy.HookimplMarker(NAME)


def _spec(func: _F, **kwargs: Any) -> _F:
    return cast(_F, _spec_marker(**kwargs)(func))


def _first(func: _F) -> _F:
    """A hook whose first non-None result wins."""
    return _spec(func, firstresult=True)


def _every(func: _F) -> _F:
    """A hook every plugin runs (results merged, or fed one to the next)."""
    return _spec(func)


#: decorate a plugin's hook implementations with this (``@impl def hatch_stage_scan(...)``)
impl = _impl_marker


@_first
def hatch_stage_pack(
    project: Project, config: Config, paths: Sequence[Path], workdir: Path, notes: list[str]
) -> list[Artifact] | None:
    """Produce the artifacts to stage. Called first. First non-None result wins.

    :param project: the project being released; a version only the build can tell (a
        setuptools-scm version, say) is still empty here, and is read from the artifacts'
        names afterwards
    :param config: the merged settings
    :param paths: prebuilt artifacts named on the command line; when not empty, return them
        (validated) instead of building
    :param workdir: a private temporary directory to build into; the project's own dist/ must
        be left alone
    :param notes: append a line here for anything the user should know about how the release
        was packed (e.g. why no wheel was built); notes appear in the report and in ``--json``
    """


@_every
def hatch_stage_rewrite(
    artifact: Artifact, project: Project, config: Config, workdir: Path
) -> Artifact | None:
    """Rewrite one packed artifact, e.g. pin workspace and catalog dependencies.

    Called once per artifact, after pack. Every plugin runs in turn and each sees the artifact
    the previous one returned. Return a new, still valid artifact written under ``workdir``,
    or ``None`` to leave it unchanged. Never modify the file in place.
    """


@_every
def hatch_stage_scan(
    artifacts: Sequence[Artifact], project: Project, config: Config
) -> list[Finding | Note]:
    """Look for secrets and files that must never ship. Called after rewrite.

    All plugins run; their findings are merged. A finding of high confidence (the default)
    blocks the stage; a low one is reported for the reviewer and blocks only under
    ``config.strict_gate``; nothing blocks under ``config.allow_secrets``. A plugin may add
    :class:`Note` items for what it could not scan as usual. Read archives only through
    :mod:`hatch_stage.archive` so the safety limits hold, and never put a secret itself into a
    Finding.
    """


@_every
def hatch_stage_score(
    artifacts: Sequence[Artifact], project: Project, config: Config
) -> list[Check]:
    """Score the release's quality. Called after scan.

    All plugins run; their checks are merged into one 0-100 score (points earned over points
    available), gated by ``config.min_score``.
    """


@_first
def hatch_stage_auth(
    project: Project, config: Config, registry: str, purpose: str
) -> Credentials | None:
    """Find credentials for ``registry``. Called after score, never on a dry run; and by
    list, view, download, approve and reject before they talk to the registry.

    :param purpose: "publish" (trusted publishing allowed) or "manage" (list, view,
        download, approve, reject: a real token is required)
    :param project: for "manage", the project the directory's manifest states (nothing is
        built): name and version may be empty

    First non-None result wins (installed plugins are asked before the built-in ones);
    return ``None`` when this source has nothing.
    """


@_first
def hatch_stage_sign(
    artifacts: Sequence[Artifact], project: Project, config: Config
) -> list[Attestation] | None:
    """Produce provenance for the artifacts. Called after auth. First non-None result wins.

    Return ``None`` when provenance is off or this plugin cannot sign here.
    """


@_first
def hatch_stage_upload(
    artifacts: Sequence[Artifact],
    attestations: Sequence[Attestation],
    project: Project,
    config: Config,
    credentials: Credentials,
    registry: str,
) -> StagedRelease | None:
    """Send the release to the registry's staging area. Called last. First result wins.

    Nothing may become installable to the public here: the release waits for approval.
    """


@_every
def hatch_stage_review_member(member: ChangedMember, config: Config) -> list[Flag]:
    """Flag one added or changed member of a staged release. Review only, never on publish.

    Called once per member whose bytes differ from the previous release (every member of a
    first release), while its bytes are in hand. All plugins run; their flags are merged.
    ``member.data`` is None for a member over the size limit; ``member.text`` is None for one
    that is not UTF-8. A changed member is flagged only for what its earlier content did not
    raise: the hook is called on the earlier content too and flags with the same rule and
    reason are dropped, so keep ``reason`` stable and put sizes or counts in ``detail``.
    """


@_every
def hatch_stage_review_release(diff: ReleaseDiff, config: Config) -> list[Flag]:
    """Flag what changed in a staged release as a whole. Review only, never on publish.

    Called once, after every member was compared, with the file, metadata, dependency and
    entry-point changes (``diff.flags`` is still empty; ``diff.against`` None means a first
    release). All plugins run; their flags are merged.
    """


__all__ = [
    "NAME",
    "hatch_stage_auth",
    "hatch_stage_pack",
    "hatch_stage_review_member",
    "hatch_stage_review_release",
    "hatch_stage_rewrite",
    "hatch_stage_scan",
    "hatch_stage_score",
    "hatch_stage_sign",
    "hatch_stage_upload",
    "impl",
]
