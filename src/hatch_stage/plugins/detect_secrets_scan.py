"""Built-in plugin ``detect-secrets``: detect-secrets over every member of every artifact.

The scan lives in :mod:`hatch_stage.inspection.secrets`, shared with the registry's validation
report; this plugin applies it to the artifacts of a run.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Config
from ..hookspecs import impl
from ..inspection import scan_secrets
from ..models import Artifact, Finding, Note, Project


@impl
def hatch_stage_scan(artifacts: Sequence[Artifact], project: Project, config: Config) -> (
    list[Finding | Note]
):
    baseline = (config.baseline.name,) if config.baseline is not None else ()
    scan = scan_secrets(artifacts, config.limits, exact=config.exact_scan,
                        baseline_names=(".secrets.baseline", *baseline))
    return [*scan.findings, *scan.notes]
