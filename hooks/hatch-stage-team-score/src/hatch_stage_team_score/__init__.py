"""hatch-stage plugin ``team-score``: every release says where to report a vulnerability.

The team's rule: a Python release declares a security policy, either as a project URL
labelled "Security" (or "Security Policy", "Vulnerability Reporting") or as a SECURITY file
in the sdist. The check is added to the built-in ones, so it moves the 0-100 score and
``--min-score`` can make it blocking.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from hatch_stage.config import Config
from hatch_stage.hookspecs import impl
from hatch_stage.models import Artifact, Check, Project
from hatch_stage.scoring import normalize_label, read_shipped

NAME = "security-policy"
POINTS = 10
#: project URL labels that mean "how to report a vulnerability", normalized
LABELS = frozenset({"security", "securitypolicy", "vulnerabilityreporting", "reportavulnerability"})


@impl
def hatch_stage_score(
    artifacts: Sequence[Artifact], project: Project, config: Config
) -> list[Check]:
    if project.target != "python":
        return []
    shipped = read_shipped(artifacts, config.limits)
    for label, url in shipped.project_urls.items():
        if normalize_label(label) in LABELS:
            return [Check(NAME, POINTS, POINTS, f"the {label!r} project URL is {url}")]
    for member in shipped.sdist_members:
        if PurePosixPath(member).stem.upper() == "SECURITY" and "/" not in member:
            return [Check(NAME, POINTS, POINTS, f"{member} ships in the sdist")]
    return [Check(NAME, 0, POINTS, (
        "no security policy: team rule says every release must tell people where to report "
        'a vulnerability; add Security = "https://..." under [project.urls] or ship a SECURITY.md'
    ))]
