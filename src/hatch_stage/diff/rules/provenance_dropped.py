"""Review rule ``provenance-dropped``: the previous release was attested and this
file is not.

A project that publishes from CI with trusted publishing has signed attestations on every
file; a release without them was not made by that workflow (a laptop, a stolen token), or
its attestations were left out. Either way the reviewer should know before approving.
"""

from __future__ import annotations

from ..model import Flag, ReleaseDiff

RULE = "provenance-dropped"


def review_release(diff: ReleaseDiff) -> list[Flag]:
    if not diff.previous_signers:
        return []
    signer = diff.previous_signers[0].describe()
    return [Flag(RULE, f"the previous release ({diff.against}) was attested by {signer}; this "
                       "file has no verified provenance: it was not built and signed by that "
                       "workflow, or its attestations were left out", artifact=item.filename)
            for item in diff.provenance if item.signed_by is None]
