"""Built-in plugin ``python-score``: the quality checks of a Python release, worth 100 points.

The checks and their points are the table in :mod:`hatch_stage.scoring.rules`; they judge the
artifacts that will ship, not the project directory.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Config
from ..hookspecs import impl
from ..models import Artifact, Check, Project
from ..scoring import RULES, read_shipped


@impl
def hatch_stage_score(
    artifacts: Sequence[Artifact], project: Project, config: Config
) -> list[Check]:
    if project.target != "python":
        return []
    shipped = read_shipped(artifacts, config.limits)
    return [rule.check(shipped) for rule in RULES]
