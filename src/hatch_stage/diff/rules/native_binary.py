"""Review rule ``native-binary``: a compiled binary added.

A shared library, extension module or executable is code nobody can review from the diff;
it runs with the user's rights once imported or started. Recognised by name (``.so``,
``.pyd``, ``.dll``, ``.dylib``, ``.exe``, npm's ``.node``) and by its first bytes (ELF,
Mach-O, PE), so a renamed binary is caught too.
"""

from __future__ import annotations

import re

from ..model import ChangedMember, Flag

RULE = "native-binary"
SUFFIX = re.compile(r"\.(so(\.\d+)*|pyd|dll|dylib|exe|node)$", re.IGNORECASE)
#: leading bytes -> the binary format they announce
MAGIC = (
    (b"\x7fELF", "ELF"),
    (b"\xfe\xed\xfa\xce", "Mach-O"),
    (b"\xfe\xed\xfa\xcf", "Mach-O"),
    (b"\xce\xfa\xed\xfe", "Mach-O"),
    (b"\xcf\xfa\xed\xfe", "Mach-O"),
    (b"MZ", "PE (Windows)"),
)


def binary_format(member: ChangedMember) -> str | None:
    """The native format a member is in, by its first bytes; None for anything else."""
    for magic, name in MAGIC:
        # "MZ" may begin a text file; the other magic numbers never do
        if member.head.startswith(magic) and (name != "PE (Windows)" or member.text is None):
            return name
    return None


def review_member(member: ChangedMember) -> list[Flag]:
    if member.change != "added":
        return []
    found = binary_format(member)
    if found is None and not SUFFIX.search(member.path):
        return []
    what = f"{found} binary" if found else "file named like a native binary"
    return [Flag(RULE, "a native binary was added: compiled code that cannot be reviewed "
                 "from the diff runs when it is loaded", detail=f"{what}, {member.size} bytes")]
