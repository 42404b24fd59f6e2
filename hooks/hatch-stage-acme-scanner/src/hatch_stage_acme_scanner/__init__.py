"""hatch-stage plugin ``acme-scanner``: ACME live API tokens must never ship.

ACME's tokens look like ``acme_live_`` followed by 32 letters and digits. detect-secrets has
no rule for them, so this plugin adds one to the scan stage; it runs next to the built-in
scanners and its findings block a release the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from hatch_stage.archive import iter_members
from hatch_stage.config import Config
from hatch_stage.hookspecs import impl
from hatch_stage.models import Artifact, Finding, Project

PREFIX = b"acme_live_"
TOKEN = re.compile(rb"acme_live_[A-Za-z0-9]{32}(?![A-Za-z0-9])")
#: the same inline opt-out detect-secrets honours, for test fixtures and documentation
ALLOWLIST = b"pragma: allowlist secret"
FINDING_TYPE = "ACME Live Token"
SHOWN = 4


def mask(token: str) -> str:
    """The prefix and the last few characters; enough to find the token in ACME's console."""
    secret = token[len(PREFIX):]
    return PREFIX.decode() + "*" * (len(secret) - SHOWN) + secret[-SHOWN:]


@impl
def hatch_stage_scan(
    artifacts: Sequence[Artifact], project: Project, config: Config
) -> list[Finding]:
    findings = []
    for artifact in artifacts:
        # iter_members enforces the size, ratio and path limits on the untrusted archive;
        # skip_binary leaves non-text members unread, so memory stays flat on big wheels
        for member in iter_members(artifact, config.limits, skip_binary=True):
            if PREFIX not in member.data:  # most members: one fast substring test
                continue
            for number, line in enumerate(member.data.splitlines(), start=1):
                if ALLOWLIST in line:
                    continue
                for match in TOKEN.finditer(line):
                    token = match.group().decode()
                    findings.append(Finding(
                        artifact=artifact.filename,
                        member=member.name,
                        line=number,
                        type=FINDING_TYPE,
                        masked=mask(token),
                        hashed_secret=hashlib.sha1(token.encode()).hexdigest(),
                    ))
    return findings
