"""Review rule ``publisher-changed``: a file signed by another identity than the
previous release's.

Attestations prove which CI job built a file, not that it is the right one: a file signed by
a new repository, workflow or service account means the release came from somewhere else
than before (a fork, a new workflow someone added, another project's pipeline). The ref a
job ran on is expected to change from release to release and is not compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Flag, ReleaseDiff

if TYPE_CHECKING:  # only named in annotations: provenance loads cryptography
    from ...provenance import SignedBy

RULE = "publisher-changed"


def _known(signer: SignedBy, before: tuple[SignedBy, ...]) -> bool:
    return any(signer.publisher.same_source(earlier.publisher) for earlier in before)


def review_release(diff: ReleaseDiff) -> list[Flag]:
    flags = []
    for item in diff.provenance:
        if item.signed_by is None:
            continue
        # the file it is compared with, if that was attested; else the whole previous release
        before = (item.previous,) if item.previous is not None else diff.previous_signers
        if before and not _known(item.signed_by, before):
            flags.append(Flag(
                RULE, f"signed by {item.signed_by.publisher.describe()}, not by "
                      f"{before[0].publisher.describe()} as the previous release "
                      f"({diff.against}) was", artifact=item.filename,
                detail=f"ref {item.signed_by.ref}" if item.signed_by.ref else ""))
    return flags
