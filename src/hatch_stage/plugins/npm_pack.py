"""Built-in plugin ``npm-pack``: the tarball ``npm pack`` makes, or a named prebuilt ``.tgz``.

npm itself packs (see :mod:`hatch_stage.npm.packer` for which npm), so the ``files`` field,
``.npmignore`` and the always-included files are exactly npm's. The tarball goes to the
pipeline's private directory; its own package.json must name the project's package and version.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..errors import PackError
from ..hookspecs import impl
from ..models import Artifact, Project


def _prebuilt(paths: Sequence[Path]) -> Path:
    if len(paths) != 1 or not paths[0].name.endswith(".tgz"):
        names = ", ".join(path.name for path in paths)
        raise PackError(f"an npm release is one .tgz tarball, not: {names}")
    if not paths[0].is_file():
        raise PackError(f"{paths[0]}: no such file")
    return paths[0].resolve()


def checked(tarball: Path, project: Project, config: Config) -> Artifact:
    """``tarball`` as an artifact, after checking it is this project's package and version."""
    from ..npm.tarball import read_packed  # the npm helpers load for npm projects only

    artifact = Artifact(tarball, "npm-tarball")
    packed = read_packed(artifact, config.limits, PackError)
    if (packed.name, packed.version) != (project.name, project.version):
        raise PackError(
            f"{tarball.name} holds {packed.name}@{packed.version}, but the project in "
            f"{project.root} is {project.name}@{project.version}; stage a tarball of this "
            "project's version"
        )
    return artifact


@impl
def hatch_stage_pack(project: Project, config: Config, paths: Sequence[Path], workdir: Path) -> (
    list[Artifact] | None
):
    if project.target != "npm":
        return None
    from ..npm.packer import pack  # the npm helpers load for npm projects only

    tarball = _prebuilt(paths) if paths else pack(project.root, workdir / "npm-packed")
    return [checked(tarball, project, config)]
