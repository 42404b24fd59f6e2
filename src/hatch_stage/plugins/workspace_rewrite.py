"""Built-in plugin ``workspace-rewrite``: pins workspace-member and catalog dependencies.

The Python counterpart of pnpm's ``workspace:`` and ``catalog:`` protocols (docs/rewrite.md):
a dependency on another workspace member (``{ workspace = true }`` in hatch or uv sources) is
pinned to that member's current version, and one marked ``{ catalog = ... }`` in
``[tool.hatch-stage.sources]`` gets its specifier from the catalog. The change is made inside
the packed wheel (METADATA and RECORD) and sdist (PKG-INFO and pyproject.toml), each written
as a new file under the pipeline's work directory.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..hookspecs import impl
from ..models import Artifact, Project
from ..rewrite.pins import Pinner


@impl
def hatch_stage_rewrite(
    artifact: Artifact, project: Project, config: Config, workdir: Path
) -> Artifact | None:
    if project.target != "python" or artifact.kind not in ("wheel", "sdist"):
        return None
    pinner = Pinner(project, config)
    if not pinner.active:
        return None
    # imported here: only a workspace member with pinned dependencies is rewritten
    from ..rewrite.sdist import rewrite_sdist
    from ..rewrite.wheel import rewrite_wheel

    rewrite = rewrite_wheel if artifact.kind == "wheel" else rewrite_sdist
    return rewrite(artifact, pinner, workdir / "rewritten", config.limits)
