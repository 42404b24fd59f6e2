"""The fast path: hatchling building inside hatch-stage's own process.

When a project builds with plain hatchling and everything its build needs (``[build-system]
requires`` and the build targets' own dependencies) is already installed next to
hatch-stage, nothing is gained from another interpreter: the build runs here, in about the
time the hooks' process would take just to start.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import PackError
from ..models import Artifact
from .buildsystem import BuildSystem
from .requirements import Unmet, unmet_requirements


def in_process_ready(system: BuildSystem) -> bool:
    """Whether the fast path is open: plain hatchling with its ``[build-system] requires``
    installed here (a build also needs its targets' dependencies: :func:`target_unmet`)."""
    return system.in_process_capable and not unmet_requirements(system.requires)


def hatchling_metadata(root: Path) -> tuple[str, str]:
    """Name and version as hatchling resolves them: dynamic versions (version files, VCS, build
    hooks) the way the build will, so the version checked is the version that ships."""
    from hatchling.metadata.core import ProjectMetadata
    from hatchling.plugin.manager import PluginManager

    try:
        metadata = ProjectMetadata(str(root), PluginManager())
        return metadata.core.name, metadata.version
    except Exception as error:  # hatchling raises plain ValueError/TypeError for bad metadata
        raise PackError(
            f"cannot read the project metadata in {root / 'pyproject.toml'}: {error}"
        ) from None


def _builders(root: Path, kinds: Sequence[str]) -> list[tuple[str, object]]:
    from hatchling.builders.sdist import SdistBuilder
    from hatchling.builders.wheel import WheelBuilder

    classes = {"sdist": SdistBuilder, "wheel": WheelBuilder}
    return [(kind, classes[kind](str(root))) for kind in kinds]


def target_unmet(root: Path, kinds: Sequence[str]) -> list[Unmet]:
    """What the build targets' own dependencies (hatchling's dynamic requirements) lack here."""
    requirements: list[str] = []
    for _kind, builder in _builders(root, kinds):
        requirements.extend(builder.config.dependencies)  # type: ignore[attr-defined]
    return unmet_requirements(requirements)


def build_in_process(root: Path, directory: Path, kinds: Sequence[str]) -> list[Artifact]:
    """Build ``kinds`` ("sdist", "wheel") of the hatchling project at ``root`` into ``directory``.

    :raises Exception: whatever hatchling or a build hook raises
    """
    artifacts = []
    # build hooks may print; stdout belongs to --json output
    with contextlib.redirect_stdout(sys.stderr):
        for kind, builder in _builders(root, kinds):
            for built in builder.build(  # type: ignore[attr-defined]
                directory=str(directory), versions=["standard"]
            ):
                artifacts.append(Artifact(Path(built), kind))  # type: ignore[arg-type]
    return artifacts
