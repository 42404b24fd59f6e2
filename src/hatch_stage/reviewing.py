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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from .config import Config
from .diff import ChangedMember, DiffLimits, Flag, ReleaseDiff, compare_releases
from .models import Artifact, TargetKind
from .plugins import each_implementation, plugin_manager
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


def _artifacts(paths: list[Path]) -> tuple[Artifact, ...]:
    found = []
    for path in paths:
        try:
            found.append(Artifact.from_path(path))
        except ValueError:
            continue  # a file kind hatch-stage does not compare
    return tuple(found)


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
        if previous is not None:
            old = _artifacts(client.download_published(previous, directory / "previous"))
        yield Fetched(item, staged, previous, old)
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
        rules=PluginRules(manager, config), limits=config.limits, text_diffs=text_diffs)


def diff_staged(client: StageClient, stage_id: str, config: Config, *,
                against: str | None = None, text_diffs: DiffLimits | None = None) -> ReleaseDiff:
    """The staged release against the previous published one (or ``against``)."""
    with fetched_for_review(client, stage_id, against) as fetched:
        return diff_fetched(fetched, client.target, config, text_diffs=text_diffs)
