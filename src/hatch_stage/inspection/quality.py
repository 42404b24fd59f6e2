"""The quality checks of a Python release (the ``python-score`` plugin's checks).

The checks and their points are the table in :mod:`hatch_stage.scoring.rules`; they judge the
artifacts that will ship, not the project directory.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import ScanLimits
from ..models import Artifact, Check
from ..scoring import RULES, read_shipped


def score_python(artifacts: Sequence[Artifact], limits: ScanLimits) -> list[Check]:
    """Every built-in check of a Python release, judged on ``artifacts``."""
    shipped = read_shipped(artifacts, limits)
    return [rule.check(shipped) for rule in RULES]
