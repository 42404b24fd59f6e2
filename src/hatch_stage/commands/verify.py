"""``hatch-stage verify STAGE_ID``: does the staged wheel come from the staged sdist, and (with
``--publisher``) was every staged file signed by the publisher you expect?

On the reviewer's machine, never on the registry: the staged files are downloaded (hashes
verified), a wheel is built from the sdist in a fresh isolated environment with its declared
build requirements (:func:`hatch_stage.pep517.rebuild_wheel`: packing's hooks, but never its
cached environments), and each staged pure-Python wheel is compared with it member by member.
Building runs the package's own build code, and the output says so. A platform wheel is
reported as not checked, with the reason. ``--no-rebuild`` skips this part.

With ``--publisher`` (``github:OWNER/REPO/WORKFLOW.yml``, ``gitlab:NAMESPACE/PROJECT//CI_FILE``
or ``google:EMAIL``; repeat it to accept any of several), each staged file's PEP 740
provenance is fetched from the registry and every attestation verified here, offline,
against the Sigstore trust root bundled with sigstore, that file's bytes and the expected
publisher (never the publisher the provenance names). A file without provenance fails too.

Exit status 1 when a wheel differs or a file's provenance does not verify.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..config import Config
from ..errors import ConfigError, HatchStageError, PackError
from ..models import Artifact
from ..output import console, emit_json, envelope, stderr
from ..pep517 import rebuild_wheel
from ..project import read_manifest
from ..provenance import (
    ProvenanceError,
    PublisherIdentity,
    parse_publisher,
    verify_provenance_object,
)
from ..targets.interface import StageClient
from ..verification import WheelVerdict, compare_wheels, platform_reason, unpack_sdist
from .clients import add_stage_command, client_config, stage_client
from .diffview import safe

WARNING = ("verify builds the staged sdist: this runs the package's own build code (its build "
           "backend, build hooks, setup.py) on this machine, in a fresh virtual environment")


@dataclass(frozen=True)
class ProvenanceVerdict:
    """Whether one staged file's attestations verify against the expected publishers."""

    filename: str
    status: Literal["verified", "missing", "refused"]
    reason: str
    #: who signed it, when verified (PEP 740 publisher object with claims)
    signed_by: Mapping[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "status": self.status, "reason": self.reason,
                "signed_by": dict(self.signed_by) if self.signed_by else None}


def register(subparsers: Any) -> None:
    summary = ("rebuild the staged wheel from the staged sdist and compare them; check the "
               "files' provenance against the publisher you expect")
    parser = add_stage_command(subparsers, "verify", summary, __doc__ or "", run)
    parser.add_argument("--publisher", action="append", metavar="SPEC",
                        help="the trusted publisher every file must be signed by: "
                             "github:OWNER/REPO/WORKFLOW.yml, gitlab:NAMESPACE/PROJECT//CI_FILE "
                             "or google:EMAIL (repeat to accept any of several)")
    parser.add_argument("--sigstore-staging", action="store_true",
                        help="verify against Sigstore's staging instance (attestations made "
                             "for testing)")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="do not rebuild the wheel (runs no build code); check provenance "
                             "only")


def _rebuild(source: Path, out: Path) -> Artifact:
    try:
        return Artifact(rebuild_wheel(source, read_manifest(source, "python"), out), "wheel")
    except ConfigError as error:  # the staged sdist's configuration, not the reviewer's
        raise PackError(f"the staged sdist cannot be built: {error}") from None


def verify_files(files: list[Artifact], config: Config, workdir: Path) -> list[WheelVerdict]:
    """A verdict per staged wheel; builds the sdist only when a pure-Python wheel needs it."""
    sdists = [artifact for artifact in files if artifact.kind == "sdist"]
    wheels = [artifact for artifact in files if artifact.kind == "wheel"]
    if not sdists:
        raise HatchStageError("the staged release has no sdist to rebuild its wheel from",
                              code="no_sdist")
    if not wheels:
        raise HatchStageError("the staged release has no wheel to verify", code="no_wheel")
    verdicts: dict[str, WheelVerdict] = {}
    pure = []
    for wheel in wheels:
        reason = platform_reason(wheel.filename)
        if reason is None:
            pure.append(wheel)
        else:
            verdicts[wheel.filename] = WheelVerdict(wheel.filename, "not checked", reason)
    if pure:
        source = unpack_sdist(sdists[0], config.limits, workdir / "source")
        rebuilt = _rebuild(source, workdir / "rebuilt")
        for wheel in pure:
            verdicts[wheel.filename] = compare_wheels(wheel, rebuilt, config.limits)
    return [verdicts[wheel.filename] for wheel in wheels]


def check_provenance(client: StageClient, files: Sequence[Artifact],
                     entries: Mapping[str, Any], publishers: Sequence[PublisherIdentity],
                     staging: bool) -> list[ProvenanceVerdict]:
    """A verdict per downloaded file: its provenance object (from the registry) verified
    against the file's bytes and ``publishers``."""
    verdicts = []
    for artifact in files:
        entry = entries.get(artifact.filename)
        provenance = entry.get("provenance") if isinstance(entry, Mapping) else None
        url = provenance.get("url") if isinstance(provenance, Mapping) else None
        document = client.provenance_object(str(url)) if url else None
        if document is None:
            verdicts.append(ProvenanceVerdict(artifact.filename, "missing",
                                              "the registry has no provenance for it"))
            continue
        try:
            verified = verify_provenance_object(document, artifact.filename, artifact.sha256,
                                                publishers, staging=staging)
        except ProvenanceError as error:
            verdicts.append(ProvenanceVerdict(artifact.filename, "refused", str(error)))
            continue
        verdicts.append(ProvenanceVerdict(
            artifact.filename, "verified",
            f"signed by {verified.signed_by.describe()} "
            f"({', '.join(verified.predicate_types)})", verified.signed_by.as_json()))
    return verdicts


def _verify(client: StageClient, args: argparse.Namespace, config: Config,
            publishers: Sequence[PublisherIdentity],
            ) -> tuple[list[WheelVerdict], list[ProvenanceVerdict]]:
    workdir = Path(tempfile.mkdtemp(prefix="hatch-stage-verify-"))
    try:
        item, paths = client.fetch(args.stage_id, workdir / "staged")
        files = [Artifact.from_path(path) for path in paths
                 if path.name.endswith((".whl", ".tar.gz", ".zip"))]
        provenance = []
        if publishers:
            entries = item.raw.get("files")
            provenance = check_provenance(client, files,
                                          entries if isinstance(entries, Mapping) else {},
                                          publishers, args.sigstore_staging)
        wheels = [] if args.no_rebuild else verify_files(files, config, workdir)
        return wheels, provenance
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    client = stage_client(args)
    if client.target != "python":
        raise ConfigError("verify rebuilds Python wheels from their sdist; an npm release is "
                          "one tarball, with nothing to rebuild")
    publishers = [parse_publisher(spec) for spec in args.publisher or ()]
    if args.no_rebuild and not publishers:
        raise ConfigError("--no-rebuild leaves nothing to verify: name the expected "
                          "--publisher")
    stage_id = client.check_id(args.stage_id)
    if not args.no_rebuild:
        (stderr if args.json else console).print(f"[yellow]note:[/] {WARNING}")
    verdicts, provenance = _verify(client, args, client_config(args), publishers)
    differing = [verdict for verdict in verdicts if verdict.status == "differs"]
    unproven = [verdict for verdict in provenance if verdict.status != "verified"]
    if args.json:
        data: dict[str, Any] = {"runs_build_code": not args.no_rebuild,
                                "note": WARNING if not args.no_rebuild else None,
                                "wheels": [verdict.as_json() for verdict in verdicts]}
        if publishers:
            data["provenance"] = [verdict.as_json() for verdict in provenance]
        extra = {}
        if differing or unproven:
            extra = {"error": _failure(differing, unproven),
                     "error_code": "wheel_mismatch" if differing else "provenance_mismatch"}
        emit_json(envelope(not extra, client.target, client.registry, data,
                           stage_id=stage_id, **extra))
        return 1 if extra else 0
    colours = {"verified": "green", "differs": "bold red", "not checked": "yellow",
               "missing": "bold red", "refused": "bold red"}
    for verdict in verdicts:
        console.print(f"[{colours[verdict.status]}]{verdict.status}[/] "
                      f"{safe(verdict.filename)}: {safe(verdict.reason)}")
        for difference in verdict.differences:
            console.print(f"  {safe(difference.problem)}: {safe(difference.member)}")
    for check in provenance:
        console.print(f"[{colours[check.status]}]provenance {check.status}[/] "
                      f"{safe(check.filename)}: "
                      f"{safe(check.reason)}")
    return 1 if differing or unproven else 0


def _failure(differing: Sequence[WheelVerdict], unproven: Sequence[ProvenanceVerdict]) -> str:
    reasons = []
    if differing:
        reasons.append(f"{len(differing)} staged wheel(s) differ from the wheel built from the "
                       "sdist")
    if unproven:
        reasons.append(f"{len(unproven)} staged file(s) are not signed by the expected "
                       f"publisher ({'; '.join(f'{v.filename}: {v.reason}' for v in unproven)})")
    return "; ".join(reasons)
