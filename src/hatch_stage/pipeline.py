"""Runs the stages in order and collects one :class:`StageReport`.

pack -> rewrite -> scan -> score is the *prepare* half: local, no network, no credentials;
``--dry-run`` and ``hatch-stage check`` stop after it. auth -> sign -> upload is the *stage*
half.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pluggy

from . import baseline
from .archive import link_notes
from .config import Config
from .contents import shared_reading
from .errors import AuthError, HatchStageError, PackError, UploadError
from .inspection import HIGH, LOW, blocking, distinct
from .models import (
    Artifact,
    Attestation,
    Check,
    Credentials,
    Finding,
    Note,
    Project,
    StagedRelease,
    quality_score,
)
from .plugins import each_implementation, plugin_manager
from .project import check_release, name_and_version_of
from .provenance.attachments import ambient_ci, attestation_files


@dataclass(frozen=True)
class ProvenancePlan:
    """What ``publish`` attaches as provenance, known before anything is sent."""

    #: "file": attestations made elsewhere (``--provenance-file``), each already checked to
    #: attest its artifact; "sign": signed at publish time with sigstore; "none"
    how: Literal["file", "sign", "none"]
    #: the artifacts that get provenance
    files: tuple[str, ...] = ()
    #: what else to know: the identity it would sign with, or why it could not
    note: str = ""

    @property
    def attached(self) -> bool:
        return self.how != "none"

    def as_json(self) -> dict[str, Any]:
        return {"attach": self.attached, "how": self.how, "files": list(self.files),
                "note": self.note}


def plan_provenance(project: Project, config: Config,
                    artifacts: Sequence[Artifact]) -> ProvenancePlan:
    """The provenance a publish of ``artifacts`` would attach (local checks only: no
    network, no credentials; a pre-made attestation that does not fit is an error now)."""
    names = tuple(artifact.filename for artifact in artifacts)
    if config.provenance_file is not None:
        if project.target != "python":
            return ProvenancePlan("file", names, f"from {config.provenance_file}")
        attached = attestation_files(config.provenance_file, artifacts)
        return ProvenancePlan("file", tuple(item.artifact for item in attached),
                              "the registry verifies them against the project's trusted "
                              "publishers")
    if config.provenance:
        ci = ambient_ci()
        if ci is None:
            return ProvenancePlan("sign", names, "no CI OIDC identity in this environment: "
                                  "publish --provenance would fail here")
        return ProvenancePlan("sign", names, f"signed with sigstore at publish, with this "
                              f"{ci} job's OIDC identity")
    return ProvenancePlan("none", (), "none: --provenance signs in CI, --provenance-file "
                                      "attaches attestations made elsewhere")


@dataclass(frozen=True)
class StageReport:
    """Everything one run found out, for the human summary and for ``--json``."""

    project: Project
    config: Config
    dry_run: bool
    artifacts: tuple[Artifact, ...]
    findings: tuple[Finding, ...] = ()
    checks: tuple[Check, ...] = ()
    #: findings a baseline or ``# pragma: allowlist secret`` already accepted
    baselined: int = 0
    #: what the user should know about how the release was packed and scanned (no wheel
    #: built, links read as their targets, a file the scan could not parse)
    notes: tuple[Note, ...] = ()
    registry: str | None = None
    auth_source: str | None = None
    staged: StagedRelease | None = None
    attestations: tuple[Attestation, ...] = field(default=())
    #: what provenance publish attaches (the dry run says so too)
    provenance: ProvenancePlan = field(default_factory=lambda: ProvenancePlan("none"))

    @property
    def score(self) -> int:
        return quality_score(self.checks)

    @property
    def blockers(self) -> list[str]:
        """Why this release would not be staged (empty: it would)."""
        reasons = []
        blocking_findings = self.blocking_findings
        if blocking_findings:
            count = len(distinct(blocking_findings))
            which = "" if self.config.strict_gate else "high-confidence "
            reasons.append(
                f"{count} {which}secret finding{'s' if count != 1 else ''} (remove them; accept "
                "reviewed ones with `hatch-stage baseline`, or pass --allow-secrets)"
            )
        minimum = self.config.min_score
        if minimum is not None and self.score < minimum:
            reasons.append(f"quality score {self.score} is below the minimum {minimum}")
        return reasons

    @property
    def blocking_findings(self) -> list[Finding]:
        """The findings that stop this release under its settings (the one gate rule)."""
        return blocking(self.findings, allow_secrets=self.config.allow_secrets,
                        strict=self.config.strict_gate)

    @property
    def tag(self) -> str:
        return self.config.tag or "latest"

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` envelope of publish and check."""
        document: dict[str, Any] = {
            "success": not self.blockers,
            "dry_run": self.dry_run,
            "target": self.project.target,
            # the envelope's key in every --json document; null: no registry was involved
            "registry": self.registry,
            "name": self.project.name,
            "version": self.project.version,
            "tag": self.tag,
            "files": [
                {"filename": a.filename, "kind": a.kind, "size": a.size, "sha256": a.sha256}
                for a in self.artifacts
            ],
            "findings": [finding.as_json() for finding in self.findings],
            "baselined_findings": self.baselined,
            "secrets": {
                "blocking": len(distinct(self.blocking_findings)),
                "high": sum(f.confidence == HIGH for f in distinct(self.findings)),
                "low": sum(f.confidence == LOW for f in distinct(self.findings)),
                "strict": self.config.strict_gate,
                "scan_mode": self.config.scan_mode,
            },
            "notes": [note.as_json() for note in self.notes],
            "quality": {
                "score": self.score,
                "min_score": self.config.min_score,
                "checks": [check.as_json() for check in self.checks],
            },
            "provenance": self.provenance.as_json(),
        }
        if self.blockers:
            document["error"] = "; ".join(self.blockers)
            document["error_code"] = (
                "secrets_found" if self.blocking_findings else "score_below_minimum"
            )
        if self.auth_source is not None:
            document["auth"] = self.auth_source
        if self.staged is not None:
            document["stageId"] = self.staged.stage_id
            document["preview_url"] = self.staged.preview_url
            document["data"] = dict(self.staged.data)
        return document


def released_project(project: Project, artifacts: Sequence[Artifact]) -> Project:
    """``project`` with the name and version its built wheels and sdists carry.

    A version only the build knows (setuptools-scm, a setup.py) is empty until now. A known
    one that the files contradict is an error: the report would name the wrong release.
    """
    releases = {
        name_and_version_of(artifact.path)
        for artifact in artifacts
        if artifact.kind in ("wheel", "sdist")
    }
    if not releases:
        return project
    if len(releases) > 1:
        found = ", ".join(sorted(f"{name} {version}" for name, version in releases))
        raise PackError(f"the packed files are not one release ({found})")
    ((name, version),) = releases
    for artifact in artifacts:
        check_release(project, artifact.path)
    if project.name and project.version:
        return project
    return dataclasses.replace(project, name=project.name or name, version=version)


#: the hooks :meth:`Pipeline.prepare` runs
PREPARE_HOOKS = ("hatch_stage_pack", "hatch_stage_rewrite", "hatch_stage_scan",
                 "hatch_stage_score")


class Pipeline:
    """The stages of one release, bound to one project, its settings and its plugins."""

    def __init__(
        self, project: Project, config: Config, manager: pluggy.PluginManager | None = None
    ):
        self.project = project
        self.config = config
        self.manager = manager or plugin_manager(disable=config.disable)
        self.hook = self.manager.hook

    def pack(
        self, paths: Sequence[Path], workdir: Path, notes: list[str] | None = None
    ) -> list[Artifact]:
        """The artifacts to stage; the project's name and version are then what they say."""
        artifacts = self.hook.hatch_stage_pack(
            project=self.project,
            config=self.config,
            paths=list(paths),
            workdir=workdir,
            notes=notes if notes is not None else [],
        )
        if not artifacts:
            raise PackError(
                f"no plugin can pack a {self.project.target} project (is its pack plugin disabled?)"
            )
        if self.project.target == "python":
            self.project = released_project(self.project, artifacts)
        return list(artifacts)

    def rewrite(self, artifacts: Sequence[Artifact], workdir: Path) -> list[Artifact]:
        rewritten = []
        for artifact in artifacts:
            for _plugin, result in each_implementation(
                self.hook.hatch_stage_rewrite,
                artifact=artifact,
                project=self.project,
                config=self.config,
                workdir=workdir,
            ):
                artifact = result or artifact
            rewritten.append(artifact)
        return rewritten

    def _merged(self, hook: Any, artifacts: Sequence[Artifact]) -> list[Any]:
        """Every plugin's results of a merging hook, each labelled with its plugin."""
        merged: list[Any] = []
        for plugin, result in each_implementation(
            hook, artifacts=artifacts, project=self.project, config=self.config
        ):
            merged.extend(
                r if r.plugin else dataclasses.replace(r, plugin=plugin) for r in result or ()
            )
        return merged

    def scan_all(self, artifacts: Sequence[Artifact]) -> tuple[list[Finding], list[Note]]:
        """Every plugin's findings (none accepted yet) and notes."""
        results = self._merged(self.hook.hatch_stage_scan, artifacts)
        findings = [r for r in results if not isinstance(r, Note)]
        return findings, [r for r in results if isinstance(r, Note)]

    def scan(self, artifacts: Sequence[Artifact]) -> tuple[list[Finding], int]:
        """Every plugin's findings, minus those the project's baseline already accepts."""
        findings, _notes = self.scan_all(artifacts)
        return self.accepted(findings)

    def accepted(self, findings: Sequence[Finding]) -> tuple[list[Finding], int]:
        """``findings`` minus those the baseline and ``accept-files`` accept, and how many."""
        return baseline.without_accepted(findings, self.config.baseline,
                                         self.config.accept_files)

    def score(self, artifacts: Sequence[Artifact]) -> list[Check]:
        """Every plugin's quality checks."""
        checks: list[Check] = self._merged(self.hook.hatch_stage_score, artifacts)
        return checks

    def prepare(self, paths: Sequence[Path], workdir: Path, *, dry_run: bool = True) -> StageReport:
        """pack, rewrite, scan, score: everything that needs no network.

        Each artifact is read once for all four stages (:mod:`hatch_stage.contents`). The
        scan reads first: a large release's members go to the scan's worker processes as they
        are read, so reading and scanning overlap. The links each artifact holds are listed
        from that read, at the end.
        """
        packing: list[str] = []
        with shared_reading():
            artifacts = self.rewrite(self.pack(paths, workdir, packing), workdir)
            found, scanning = self.scan_all(artifacts)
            checks = self.score(artifacts)
            packing += link_notes(artifacts, self.config.limits)
        findings, accepted = self.accepted(found)
        notes = [*(Note(message) for message in packing), *scanning]
        provenance = plan_provenance(self.project, self.config, artifacts)
        return StageReport(
            project=self.project,
            config=self.config,
            dry_run=dry_run,
            artifacts=tuple(artifacts),
            findings=tuple(findings),
            checks=tuple(checks),
            baselined=accepted,
            notes=tuple(notes),
            provenance=provenance,
        )

    def stage(
        self,
        report: StageReport,
        registry: str,
        credentials: Credentials | None = None,
        label: str | None = None,
    ) -> StageReport:
        """auth, sign, upload a prepared release that has no blockers.

        ``credentials`` that come with the registry (the embedded one) skip the auth stage.
        """
        if report.blockers:
            raise HatchStageError("; ".join(report.blockers))
        credentials = credentials or self.hook.hatch_stage_auth(
            project=self.project, config=self.config, registry=registry, purpose="publish"
        )
        if credentials is None:
            raise AuthError(
                f"no credentials for {registry}: set HATCH_STAGE_TOKEN, run `hatch-stage login`, "
                "or use trusted publishing from CI",
                code="not_logged_in",
            )
        attestations = (
            self.hook.hatch_stage_sign(
                artifacts=report.artifacts, project=self.project, config=self.config
            )
            or []
        )
        staged = self.hook.hatch_stage_upload(
            artifacts=report.artifacts,
            attestations=attestations,
            project=self.project,
            config=self.config,
            credentials=credentials,
            registry=registry,
        )
        if staged is None:
            raise UploadError(f"no plugin can upload a {self.project.target} release to {registry}")
        return dataclasses.replace(
            report,
            dry_run=False,
            registry=label or registry,
            auth_source=credentials.source,
            staged=staged,
            attestations=tuple(attestations),
        )
