"""Preparing a workspace release: which members it holds, each packed, rewritten, scanned and
scored, and every rule that must hold before anything is sent.

A chosen member whose current version is published already is left out. Every other one is
prepared with its own settings (its ``[tool.hatch-stage]``, the command line's flags over
them) and checked against the version rules; its requirements on other members must be met
by a version that is published or in this release. Any member that would be blocked, or any
rule broken, blocks the whole release: :attr:`ReleaseSet.problems` names them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion

from .. import config as config_module
from ..config import Config
from ..errors import HatchStageError
from ..models import Project
from ..pipeline import Pipeline, StageReport
from ..project import load_project
from ..rewrite.pins import member_version
from .members import Member, Workspace
from .order import dependency_order
from .pins import MemberRequirement, allowed, requirements
from .published import PublishedVersions


@dataclass
class MemberRelease:
    """One member and what becomes of it in this release."""

    member: Member
    version: str | None = None
    #: why the member is not part of the release (private, excluded, published), or None
    left_out: str | None = None
    pipeline: Pipeline | None = None
    report: StageReport | None = None
    requires: list[MemberRequirement] = field(default_factory=list)
    #: (error code, message) of everything that stops the release here
    problems: list[tuple[str, str]] = field(default_factory=list)
    stage_id: str | None = None
    #: the registry's record of the staged release
    staged: Mapping[str, Any] = field(default_factory=dict)
    #: True when a rerun found it staged already (with these very files)
    resumed: bool = False

    @property
    def name(self) -> str:
        return self.member.name

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


@dataclass
class ReleaseSet:
    """The members of a workspace release, in the workspace's order."""

    workspace: Workspace
    members: list[MemberRelease]
    registry: str | None
    #: the keys of the members in the release, in dependency order (once known)
    order: list[str] = field(default_factory=list)

    @property
    def releasing(self) -> list[MemberRelease]:
        """The members in the release, in dependency order."""
        by_key = {entry.member.key: entry for entry in self.members}
        keys = self.order or [entry.member.key for entry in self.members
                              if entry.left_out is None]
        return [by_key[key] for key in keys]

    @property
    def shown(self) -> list[MemberRelease]:
        """Every member, those in the release first (in dependency order)."""
        releasing = self.releasing
        return [*releasing, *(entry for entry in self.members if entry not in releasing)]

    @property
    def problems(self) -> list[tuple[MemberRelease, str, str]]:
        """Everything that stops the release: (member, error code, message)."""
        found = [(entry, code, message) for entry in self.members
                 for code, message in entry.problems]
        for entry in self.members:
            if entry.report is not None:
                for reason in entry.report.blockers:
                    code = ("secrets_found" if entry.report.blocking_findings
                            else "score_below_minimum")
                    found.append((entry, code, reason))
        return found


def _member_config(member: Member, flags: Mapping[str, Any], command: str) -> Config:
    return config_module.load(member.directory, flags).replace(command=command)


def _version(member: Member, target: str, config: Config) -> str:
    if target == "npm":
        return str(load_project(member.directory, config).version)
    return member_version(member.directory, config)


def prepare(workspace: Workspace, chosen: list[Member], left_out: list[tuple[Member, str]],
            published: PublishedVersions, flags: Mapping[str, Any], workdir: Path, *,
            dry_run: bool, command: str) -> ReleaseSet:
    """Pack, rewrite, scan and score every member of the release; check every rule."""
    entries = {member.key: MemberRelease(member, left_out=why) for member, why in left_out}
    for member in chosen:
        entry = entries[member.key] = MemberRelease(member)
        config = _member_config(member, flags, command)
        try:
            entry.version = _version(member, workspace.target, config)
            if published.is_published(member.name, entry.version):
                entry.left_out = f"{entry.version} is published already"
                continue
            entry.pipeline = Pipeline(load_project(member.directory, config), config)
            entry.report = entry.pipeline.prepare([], workdir / member.key.replace("/", "+"),
                                                  dry_run=dry_run)
            entry.version = entry.pipeline.project.version or entry.version
            published.check_release(member.name, entry.version, config,
                                    entry.report.artifacts)
        except (HatchStageError, InvalidVersion) as error:
            entry.problems.append((getattr(error, "code", "invalid_version"), str(error)))
    release = ReleaseSet(workspace, [entries[member.key] for member in workspace.members],
                         published.registry)
    _check_requirements(release, published)
    if not release.problems:
        release.order = dependency_order(
            [entry.member.key for entry in release.releasing],
            {entry.member.key: {found.member for found in entry.requires}
             for entry in release.releasing})
    return release


def _project(entry: MemberRelease) -> Project:
    assert entry.pipeline is not None
    return entry.pipeline.project


def _check_requirements(release: ReleaseSet, published: PublishedVersions) -> None:
    """Every requirement on a member must be met by a version published or in the release."""
    target = release.workspace.target
    keys = {entry.member.key for entry in release.members}
    in_release = {entry.member.key: entry for entry in release.releasing}
    by_key = {entry.member.key: entry for entry in release.members}
    for entry in release.releasing:
        if entry.report is None:
            continue
        project = _project(entry)
        try:
            entry.requires = requirements(target, entry.report.artifacts,
                                          entry.report.config.limits, keys, entry.member.key)
        except HatchStageError as error:
            entry.problems.append((error.code, str(error)))
            continue
        for found in entry.requires:
            other = by_key[found.member]
            live = published.versions(other.name)
            ours = in_release.get(found.member)
            candidates = [*live, *([ours.version] if ours and ours.version else [])]
            if allowed(found, target, candidates):
                continue
            entry.problems.append(("unmet_requirement", _unmet(
                project, found, other, ours, live, published.registry)))


def _unmet(project: Project, found: MemberRequirement, other: MemberRelease,
           ours: MemberRelease | None, live: list[str], registry: str | None) -> str:
    if ours is not None:
        held = f"this release holds {other.name} {ours.version}"
    else:
        held = f"{other.name} is not in this release ({other.left_out or 'left out'})"
    where = registry or "the registry (not read: --offline)"
    shown = ", ".join(live[-5:]) if live else "none"
    return (f"{project.name} {project.version} requires {found.text} ({found.field}), but "
            f"{held} and no version published on {where} meets it (published: {shown}); "
            f"release {other.name} with it, or change the requirement")
