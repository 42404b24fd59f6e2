"""Built-in plugin ``python-score``: the quality checks of a Python release, worth 100 points.

The checks live in :mod:`hatch_stage.inspection.quality` (the table in
:mod:`hatch_stage.scoring.rules`), shared with the registry's validation report.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Config
from ..hookspecs import impl
from ..inspection import score_python
from ..models import Artifact, Check, Project


@impl
def hatch_stage_score(
    artifacts: Sequence[Artifact], project: Project, config: Config
) -> list[Check]:
    if project.target != "python":
        return []
    return score_python(artifacts, config.limits)
