"""Built-in plugin ``python-pack``: an sdist and a wheel built in-process by hatchling.

The build goes to the pipeline's private directory, so the project's dist/ is left alone.
Prebuilt files named on the command line are taken as they are (after checking they are
wheels or sdists), the way ``twine upload dist/*`` takes them.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..errors import PackError
from ..hookspecs import impl
from ..models import Artifact, Project


def prebuilt(paths: Sequence[Path]) -> list[Artifact]:
    """Named files as artifacts; an error names the first unusable one."""
    artifacts = []
    for path in paths:
        if not path.is_file():
            raise PackError(f"{path}: no such file")
        try:
            artifact = Artifact.from_path(path.resolve())
        except ValueError as error:
            raise PackError(str(error)) from None
        if artifact.kind == "npm-tarball":
            raise PackError(f"{path.name}: an npm tarball cannot be staged to a Python index")
        artifacts.append(artifact)
    return artifacts


def _backend(project: Project) -> str:
    build_system = project.manifest.get("build-system", {})
    return str(build_system.get("build-backend", "")) if isinstance(build_system, dict) else ""


def build(root: Path, directory: Path) -> list[Artifact]:
    """Build the sdist and the wheel of the project at ``root`` into ``directory``."""
    from hatchling.builders.sdist import SdistBuilder
    from hatchling.builders.wheel import WheelBuilder

    artifacts = []
    # build hooks may print; stdout belongs to --json output
    with contextlib.redirect_stdout(sys.stderr):
        for builder_class, kind in ((SdistBuilder, "sdist"), (WheelBuilder, "wheel")):
            try:
                builder = builder_class(str(root))
                for built in builder.build(directory=str(directory), versions=["standard"]):
                    artifacts.append(Artifact(Path(built), kind))  # type: ignore[arg-type]
            except Exception as error:  # hatchling and build hooks raise anything
                raise PackError(
                    f"hatchling could not build the {kind} of {root}: {error}"
                ) from None
    return artifacts


@impl
def hatch_stage_pack(
    project: Project, config: Config, paths: Sequence[Path], workdir: Path
) -> list[Artifact] | None:
    if project.target != "python":
        return None
    if paths:
        return prebuilt(paths)
    backend = _backend(project)
    if backend and not backend.startswith("hatchling"):
        raise PackError(
            f"{project.root} builds with {backend!r}, not hatchling: build it yourself and name "
            "the files (hatch-stage publish dist/*)"
        )
    out = workdir / "packed"
    out.mkdir(parents=True, exist_ok=True)
    return build(project.root, out)
