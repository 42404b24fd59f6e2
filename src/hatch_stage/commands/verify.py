"""``hatch-stage verify STAGE_ID``: does the staged wheel come from the staged sdist?

On the reviewer's machine, never on the registry: the staged files are downloaded (hashes
verified), a wheel is built from the sdist in a fresh isolated environment with its declared
build requirements (:func:`hatch_stage.pep517.rebuild_wheel`: packing's hooks, but never its
cached environments), and each staged pure-Python wheel is compared with it member by member.
Building runs the package's own build code, and the output says so. A platform wheel is
reported as not checked, with the reason. Exit status 1 when a wheel differs.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import ConfigError, HatchStageError, PackError
from ..models import Artifact
from ..output import console, emit_json, envelope, stderr
from ..pep517 import rebuild_wheel
from ..project import read_manifest
from ..targets.interface import StageClient
from ..verification import WheelVerdict, compare_wheels, platform_reason, unpack_sdist
from .clients import add_stage_command, client_config, stage_client
from .diffview import safe

WARNING = ("verify builds the staged sdist: this runs the package's own build code (its build "
           "backend, build hooks, setup.py) on this machine, in a fresh virtual environment")


def register(subparsers: Any) -> None:
    summary = "rebuild the staged wheel from the staged sdist and compare them"
    add_stage_command(subparsers, "verify", summary, __doc__ or "", run)


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


def _verify(client: StageClient, stage_id: str, config: Config) -> list[WheelVerdict]:
    workdir = Path(tempfile.mkdtemp(prefix="hatch-stage-verify-"))
    try:
        paths = client.download(stage_id, workdir / "staged")
        files = [Artifact.from_path(path) for path in paths
                 if path.name.endswith((".whl", ".tar.gz", ".zip"))]
        return verify_files(files, config, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    client = stage_client(args)
    if client.target != "python":
        raise ConfigError("verify rebuilds Python wheels from their sdist; an npm release is "
                          "one tarball, with nothing to rebuild")
    stage_id = client.check_id(args.stage_id)
    (stderr if args.json else console).print(f"[yellow]note:[/] {WARNING}")
    verdicts = _verify(client, stage_id, client_config(args))
    differing = [verdict for verdict in verdicts if verdict.status == "differs"]
    if args.json:
        data = {"runs_build_code": True, "note": WARNING,
                "wheels": [verdict.as_json() for verdict in verdicts]}
        extra = {}
        if differing:
            extra = {"error": f"{len(differing)} staged wheel(s) differ from the wheel built "
                     "from the sdist", "error_code": "wheel_mismatch"}
        emit_json(envelope(not differing, client.target, client.registry, data,
                           stage_id=stage_id, **extra))
        return 1 if differing else 0
    colours = {"verified": "green", "differs": "bold red", "not checked": "yellow"}
    for verdict in verdicts:
        console.print(f"[{colours[verdict.status]}]{verdict.status}[/] "
                      f"{safe(verdict.filename)}: {safe(verdict.reason)}")
        for difference in verdict.differences:
            console.print(f"  {safe(difference.problem)}: {safe(difference.member)}")
    return 1 if differing else 0
