"""``publish --workspace`` and ``check --workspace``: release every member of a workspace at once.

Every member whose current version is not yet published is packed (with its workspace pins),
scanned and scored, and every rule is checked (:mod:`hatch_stage.release_set.plan`); if any
member would be blocked, nothing is staged and every blocker is reported. Then each member is
staged as a release of its own, in dependency order, and the releases are recorded as one
group that ``list`` shows and ``view``/``approve``/``reject`` take by its id. ``--dry-run``
and ``check --workspace`` do everything but the upload.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config as config_module
from ..config import Config
from ..errors import AuthError, ConfigError, HatchStageError
from ..markup import escape
from ..models import Credentials
from ..output import console, emit_json, is_terminal, stderr
from ..project import detect_target
from ..registry_choice import ChosenRegistry, public_preview, resolve_registry
from ..release_set import members, plan
from ..release_set.plan import ReleaseSet
from ..release_set.published import NpmRegistry, Offline, PublishedVersions, PythonIndex
from .common import flags_of, render_report, workspace
from .flags import check_flags, target_of_flags
from .workspace_output import release_json, render_release

if TYPE_CHECKING:
    from ..targets.interface import StageClient, StagedGroup


class _Target:
    """Where the workspace release goes: the registry, how to read it and how to stage."""

    def __init__(self, args: argparse.Namespace, target: str, root_config: Config,
                 workspace_root: Path) -> None:
        self.target = target
        self.chosen: ChosenRegistry | None = None
        if target == "npm":
            from ..npm.npmrc import configured_registry

            self.url = configured_registry(root_config.registry, workspace_root, None)
            self.label = self.url
        else:
            self.chosen = resolve_registry(root_config)
            self.url, self.label = self.chosen.url, self.chosen.label
        args.error_registry = self.label

    def published(self, offline: bool, workspace_root: Path) -> PublishedVersions:
        if offline:
            return Offline()
        if self.chosen is None:
            return NpmRegistry(self.url, workspace_root)
        return PythonIndex(self.url, self.chosen.credentials, self.label)

    def credentials(self, release: ReleaseSet) -> Credentials | None:
        """One token for every Python release (found once: one trusted-publishing exchange);
        npm's come per package from its plugins (npm exchanges OIDC tokens per package)."""
        if self.chosen is None:
            return None
        if self.chosen.credentials is not None:
            return self.chosen.credentials
        first = release.releasing[0].pipeline
        assert first is not None
        found: Credentials | None = first.hook.hatch_stage_auth(
            project=first.project, config=first.config, registry=self.url, purpose="publish")
        if found is None:
            raise AuthError(f"no credentials for {self.url}: set HATCH_STAGE_TOKEN, run "
                            "`hatch-stage login`, or use trusted publishing from CI",
                            code="not_logged_in")
        return found

    def client(self, credentials: Credentials | None) -> StageClient:
        if self.chosen is None:
            from ..targets.npm import NpmStageClient

            return NpmStageClient(self.url, None)
        from ..targets.pep694 import Pep694Client
        from ..urls import SERVE_ADDRESS

        public = SERVE_ADDRESS if self.chosen.embedded else None
        return Pep694Client(self.url, credentials, self.label, public)

    def preview(self, url: str) -> str:
        return public_preview(self.chosen, url) if self.chosen is not None and url else url


def run(args: argparse.Namespace, *, dry_run: bool, command: str) -> int:
    """Prepare (and unless ``dry_run``, stage) the workspace release; the exit status."""
    check_flags(args)
    start = args.project.resolve()
    if not start.is_dir():
        raise ConfigError(f"{args.project}: no such directory")
    flags = flags_of(args, "min-score", "allow-secrets", "strict", "tag", "isolation", "wheel",
                     "access", "provenance", "provenance-file", "allow-lower")
    flags["target"] = target_of_flags(args.target, args.registry, args.npm_registry)
    flags["registry"] = args.npm_registry or args.registry
    target = detect_target(start, config_module.load(start, flags))
    flags["target"] = args.error_target = target
    found = members.discover(start, target)
    where = _Target(args, target, config_module.load(found.root, flags), found.root)
    flags["registry"] = where.url  # one registry for every member
    chosen, left_out = members.select(found, args.only, args.exclude)
    with workspace() as workdir:
        release = plan.prepare(found, chosen, left_out, where.published(args.offline, found.root),
                               flags, workdir, dry_run=dry_run, command=command)
        if args.out:
            _keep(release, args.out)
        if release.problems or dry_run or not release.releasing:
            return _report(args, release, dry_run)
        if not _confirmed(args, release, where.label):
            raise HatchStageError("not staged: cancelled at the confirmation prompt",
                                  code="cancelled")
        credentials = where.credentials(release)
        _stage_all(release, where, credentials)
        group = _group(release, where.client(credentials))
        return _report(args, release, dry_run=False, group=group)


def _keep(release: ReleaseSet, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for entry in release.releasing:
        for artifact in entry.report.artifacts if entry.report else ():
            shutil.copyfile(artifact.path, out / artifact.filename)


def _confirmed(args: argparse.Namespace, release: ReleaseSet, registry: str) -> bool:
    if args.yes or args.json or not is_terminal(sys.stdin):
        return True
    listed = ", ".join(escape(entry.label) for entry in release.releasing)
    answer = console.input(f"Stage {len(release.releasing)} releases to {escape(registry)}, "
                           f"in this order: {listed}? \\[y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _stage_all(release: ReleaseSet, where: _Target, credentials: Credentials | None) -> None:
    """Stage each member in dependency order; a rerun takes up what an earlier run staged."""
    for index, entry in enumerate(release.releasing):
        assert entry.pipeline is not None and entry.report is not None
        try:
            staged = entry.pipeline.stage(entry.report, where.url, credentials, where.label)
        except HatchStageError as error:
            if error.code == "already_staged" and error.data and error.data.get("stageId"):
                entry.stage_id, entry.resumed = str(error.data["stageId"]), True
                continue
            raise _stopped(error, release, index) from None
        assert staged.staged is not None
        entry.stage_id = staged.staged.stage_id
        entry.staged = {**staged.staged.data,
                        "preview_url": where.preview(staged.staged.preview_url)}
        entry.report = staged


def _stopped(error: HatchStageError, release: ReleaseSet, index: int) -> HatchStageError:
    """``error`` saying which members were staged before it and which were not."""
    done = release.releasing[:index]
    failed = release.releasing[index]
    staged = ", ".join(f"{entry.label} as {entry.stage_id}" for entry in done) or "none"
    stopped = type(error)(
        f"{failed.label}: {error} (staged before this: {staged}; nothing is live). Run the "
        "command again when the cause is fixed: what was staged is taken up, not staged twice",
        code=error.code)
    stopped.data = {"staged": [{"name": entry.name, "version": entry.version,
                                "stageId": entry.stage_id} for entry in done],
                    "not_staged": [{"name": entry.name, "version": entry.version}
                                   for entry in release.releasing[index:]]}
    return stopped


def _group(release: ReleaseSet, client: StageClient) -> StagedGroup:
    # imported here: the HTTP client costs start-up to `check`, which never stages a group
    from ..targets import groups
    from ..targets.interface import StagedItem

    items = [StagedItem(str(entry.stage_id), entry.name, entry.version or "", status="open")
             for entry in release.releasing]
    try:
        return groups.create(client, items)
    except HatchStageError as error:
        # the releases are staged; the group is a convenience this machine can still keep
        stderr.print(f"[yellow]note:[/] the registry did not record the group "
                     f"({escape(str(error))}); this machine keeps it")
        return groups.keep_locally(client.registry, items)


def _report(args: argparse.Namespace, release: ReleaseSet, dry_run: bool,
            group: StagedGroup | None = None) -> int:
    problems = release.problems
    if args.json:
        emit_json(release_json(release, dry_run=dry_run, group=group))
    else:
        for entry in release.shown:
            if entry.report is not None and (dry_run or problems):
                directory = escape(str(entry.member.directory))
                console.print(f"[bold]── {escape(entry.label)}[/] ({directory})")
                render_report(entry.report)
        render_release(release, dry_run=dry_run, group=group)
    return 1 if problems else 0
