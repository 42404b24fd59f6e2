"""The release digest: what a maintainer reviews and what an approval is bound to.

A staged release's digest is the hex sha256 of the UTF-8 text made of one line
``<filename> <file sha256 hex>\\n`` per file, sorted by file name. The registry computes it
from the files it holds and publishes only when the approval carries the digest of the
current files; the client computes it from what ``view`` or ``download`` showed. Both use
this module, so the definition lives in one place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

#: what happened to a file between two states of a release
ADDED, REPLACED, REMOVED = "added", "replaced", "removed"


def release_digest(files: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The digest of a release given as ``{filename: sha256}`` (or pairs)."""
    pairs = files.items() if isinstance(files, Mapping) else files
    text = "".join(f"{name} {sha256.lower()}\n" for name, sha256 in sorted(pairs))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(filename, "added" | "replaced" | "removed")`` for every file that differs, by name."""
    found = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            found.append((name, ADDED))
        elif name not in after:
            found.append((name, REMOVED))
        elif before[name].lower() != after[name].lower():
            found.append((name, REPLACED))
    return found


def is_digest(text: object) -> bool:
    """Whether ``text`` looks like a release digest (64 lower-case hex digits)."""
    return (isinstance(text, str) and len(text) == 64
            and all(c in "0123456789abcdef" for c in text))
