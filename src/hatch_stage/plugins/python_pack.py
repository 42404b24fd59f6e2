"""Built-in plugin ``python-pack``: the sdist and wheel, built with the project's own backend.

Any PEP 517 project is built (:mod:`hatch_stage.pep517`): plain hatchling in-process when its
build requirements are installed here, anything else in a cached, isolated build environment
(or, with ``--no-isolation``, in this interpreter). The build goes to the pipeline's private
directory, so the project's dist/ is left alone. Prebuilt files named on the command line are
taken as they are (after checking they are wheels or sdists), the way ``twine upload dist/*``
takes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..errors import PackError
from ..hookspecs import impl
from ..models import Artifact, Project
from ..pep517 import build_project
from ..pep517.inprocess import build_in_process


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


def build(root: Path, directory: Path) -> list[Artifact]:
    """The sdist and wheel of the hatchling project at ``root``, built in this process."""
    return build_in_process(root, directory, ("sdist", "wheel"))


@impl
def hatch_stage_pack(
    project: Project, config: Config, paths: Sequence[Path], workdir: Path, notes: list[str]
) -> list[Artifact] | None:
    if project.target != "python":
        return None
    if paths:
        artifacts = prebuilt(paths)
    else:
        out = workdir / "packed"
        artifacts = build_project(project.root, project.manifest, config, out, notes)
    return artifacts
