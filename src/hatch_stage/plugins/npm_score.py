"""Built-in plugin ``npm-score``: the quality checks of an npm release, worth 100 points.

The checks themselves live in :mod:`hatch_stage.npm.score`, loaded once the plugin sees an
npm project (a Python project's check or publish never imports them).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Config
from ..hookspecs import impl
from ..models import Artifact, Check, Project


@impl
def hatch_stage_score(artifacts: Sequence[Artifact], project: Project, config: Config) -> (
    list[Check]
):
    if project.target != "npm":
        return []
    from ..npm.score import score_npm  # the npm helpers load for npm projects only

    return score_npm(artifacts, config)
