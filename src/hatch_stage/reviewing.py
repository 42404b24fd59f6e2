"""Reviewing a staged release on the reviewer's machine: fetch it and the release it follows,
compare them, and let the review-rule plugins flag what matters.

The comparison itself is :func:`hatch_stage.diff.compare_releases` (neutral, shared with the
registry); this module supplies the client's side of it: the files, through the registry
client the review commands already use, and the rules, from the loaded plugins.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from .config import Config
from .diff import ChangedMember, DiffLimits, Flag, ReleaseDiff, compare_releases
from .errors import ConfigError
from .models import Artifact, TargetKind
from .plugins import each_implementation, plugin_manager
from .provenance import SignedBy
from .targets.interface import PublishedRelease, StageClient, StagedItem


class PluginRules:
    """The review rules of the loaded plugins; each flag labelled with the plugin raising it."""

    def __init__(self, manager: pluggy.PluginManager, config: Config) -> None:
        self.hook = manager.hook
        self.config = config

    def _collect(self, hook: Any, **kwargs: Any) -> list[Flag]:
        flags: list[Flag] = []
        for plugin, result in each_implementation(hook, config=self.config, **kwargs):
            flags.extend(flag if flag.plugin else dataclasses.replace(flag, plugin=plugin)
                         for flag in result or ())
        return flags

    def member(self, member: ChangedMember) -> list[Flag]:
        return self._collect(self.hook.hatch_stage_review_member, member=member)

    def release(self, diff: ReleaseDiff) -> list[Flag]:
        return self._collect(self.hook.hatch_stage_review_release, diff=diff)


@dataclass(frozen=True)
class Fetched:
    """A staged release and the published one it follows, downloaded and verified."""

    item: StagedItem
    staged: tuple[Artifact, ...]
    previous: PublishedRelease | None
    previous_files: tuple[Artifact, ...]
    #: who signed each file, staged and previous (None: unattested); None when the
    #: registry serves no provenance
    signers: Mapping[str, SignedBy | None] | None = None


def _artifacts(paths: list[Path]) -> tuple[Artifact, ...]:
    found = []
    for path in paths:
        try:
            found.append(Artifact.from_path(path))
        except ValueError:
            continue  # a file kind hatch-stage does not compare
    return tuple(found)


def signer(publisher: Any) -> SignedBy | None:
    """A PEP 740 ``publisher`` object (with its claims) as a signer; None when absent or of a
    kind hatch-stage does not know."""
    if not isinstance(publisher, Mapping):
        return None
    try:
        return SignedBy.from_json(publisher)
    except ConfigError:
        return None


def staged_signers(item: StagedItem) -> dict[str, SignedBy | None] | None:
    """Who signed each staged file, as the registry verified it (its session document's
    ``files.*.provenance``); None when the registry reports no provenance at all."""
    files = item.raw.get("files")
    if not isinstance(files, Mapping) or not all(
            isinstance(entry, Mapping) and "provenance" in entry for entry in files.values()):
        return None
    return {str(name): signer((entry["provenance"] or {}).get("publisher"))
            for name, entry in files.items()}


def previous_signers(client: StageClient, release: PublishedRelease) -> dict[str, SignedBy | None]:
    """Who signed each file of a published release: the publisher of the first attestation
    bundle of its provenance object (the registry verified the attestations against it)."""
    found: dict[str, SignedBy | None] = {}
    for file in release.files:
        document = client.provenance_object(file.provenance) if file.provenance else None
        bundles = document.get("attestation_bundles") if document else None
        first = bundles[0] if isinstance(bundles, list) and bundles else {}
        found[file.filename] = signer(first.get("publisher") if isinstance(first, Mapping)
                                      else None)
    return found


@contextmanager
def fetched_for_review(client: StageClient, stage_id: str,
                       against: str | None = None) -> Iterator[Fetched]:
    """Download the staged files and the previous release's into a private directory, removed
    afterwards whatever happens."""
    directory = Path(tempfile.mkdtemp(prefix="hatch-stage-review-"))
    try:
        item = client.view(stage_id)
        staged = _artifacts(client.download(item.stage_id, directory / "staged"))
        previous = client.published_release(item.name, item.version, against)
        old: tuple[Artifact, ...] = ()
        signers = staged_signers(item)
        if previous is not None:
            old = _artifacts(client.download_published(previous, directory / "previous"))
            if signers is not None:
                signers.update(previous_signers(client, previous))
        yield Fetched(item, staged, previous, old, signers)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def diff_fetched(fetched: Fetched, target: str, config: Config, *,
                 text_diffs: DiffLimits | None = None,
                 manager: pluggy.PluginManager | None = None) -> ReleaseDiff:
    """Compare fetched releases with the review rules of the loaded plugins."""
    manager = manager or plugin_manager(disable=config.disable)
    kind: TargetKind = "npm" if target == "npm" else "python"
    return compare_releases(
        fetched.staged, fetched.previous_files, target=kind, name=fetched.item.name,
        version=fetched.item.version,
        against=fetched.previous.version if fetched.previous else None,
        rules=PluginRules(manager, config), limits=config.limits, text_diffs=text_diffs,
        signers=fetched.signers)


def diff_staged(client: StageClient, stage_id: str, config: Config, *,
                against: str | None = None, text_diffs: DiffLimits | None = None) -> ReleaseDiff:
    """The staged release against the previous published one (or ``against``)."""
    with fetched_for_review(client, stage_id, against) as fetched:
        return diff_fetched(fetched, client.target, config, text_diffs=text_diffs)
