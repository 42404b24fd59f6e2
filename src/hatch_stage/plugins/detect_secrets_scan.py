"""Built-in plugin ``detect-secrets``: detect-secrets over every member of every artifact.

The scan lives in :mod:`hatch_stage.inspection.secrets`, shared with the registry's validation
report; this plugin applies it to the artifacts of a run, keeping each member's result in the
user's cache (:mod:`hatch_stage.inspection.scan_cache`; the registry keeps none).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Config
from ..hookspecs import impl
from ..inspection import scan_cache, scan_secrets
from ..models import Artifact, Finding, Note, Project
from ..pep517.envs import cache_root


@impl
def hatch_stage_scan(artifacts: Sequence[Artifact], project: Project, config: Config) -> (
    list[Finding | Note]
):
    baseline = (config.baseline.name,) if config.baseline is not None else ()
    # the client keeps what it scanned, so an unchanged member is not scanned again
    cache_dir = cache_root() if scan_cache.enabled() else None
    scan = scan_secrets(artifacts, config.limits, exact=config.exact_scan,
                        baseline_names=(".secrets.baseline", *baseline), cache_dir=cache_dir)
    return [*scan.findings, *scan.notes]
