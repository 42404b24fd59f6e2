"""detect-secrets over every member of every artifact (the ``detect-secrets`` plugin's scan).

Members are read in memory through :func:`hatch_stage.archive.iter_members`, never extracted.
The findings are exactly those of ``detect-secrets scan --all-files --no-verify`` run on the
unpacked files (member path as file name, one finding per secret and file, on its first line),
found many times faster by :mod:`hatch_stage.secretscan`. ``# pragma: allowlist secret`` is
honoured; binary members are skipped, as detect-secrets skips them. A finding carries the
secret's sha1 and a masked form, never the secret.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..archive import iter_members
from ..config import ScanLimits
from ..errors import ScanError
from ..models import Artifact, Finding


def find_secrets(artifacts: Sequence[Artifact], limits: ScanLimits) -> list[Finding]:
    """Every secret detect-secrets would report in the members of ``artifacts``."""
    # imported here: detect-secrets costs a tenth of a second to import, and only scans need it
    from ..secretscan import mask, scanner

    findings: list[Finding] = []
    with scanner() as scan:
        for artifact in artifacts:
            # detect-secrets skips what is not UTF-8 text; left unread, it costs no memory
            for member in iter_members(artifact, limits, skip_binary=True):
                # a link's bytes are the member it leads to, scanned under its own name
                if member.binary or member.link is not None:
                    continue
                try:
                    secrets = scan.scan(member.name, member.data)
                except Exception as error:  # a parser inside detect-secrets choking on the file
                    raise ScanError(
                        f"{artifact.filename}: detect-secrets could not scan {member.name!r} "
                        f"({type(error).__name__}); remove the file from the package or disable "
                        "the detect-secrets plugin and scan it another way"
                    ) from None
                findings.extend(
                    Finding(
                        artifact=artifact.filename,
                        member=member.name,
                        line=secret.line,
                        type=secret.type,
                        masked=mask(secret.value),
                        hashed_secret=secret.hashed_secret,
                    )
                    for secret in secrets
                )
    return findings
