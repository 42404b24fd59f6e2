"""Review rule ``pth-file``: a ``.pth`` file or a startup module added or changed.

Python's ``site`` module executes every line of a site-packages ``.pth`` file that starts
with ``import``, at every interpreter start, in every program of that environment, whether
or not it imports the package; ``sitecustomize``/``usercustomize`` modules run the same way.
Any change to one is flagged, whatever it holds.
"""

from __future__ import annotations

from ..model import ChangedMember, Flag

RULE = "pth-file"
STARTUP_MODULES = ("sitecustomize.py", "usercustomize.py")


def installed_at_root(path: str) -> bool:
    """Whether a wheel member lands directly in site-packages."""
    parts = path.split("/")
    return len(parts) == 1 or (len(parts) == 3 and parts[0].endswith(".data")
                               and parts[1] in ("purelib", "platlib"))


def _import_lines(member: ChangedMember) -> int:
    text = member.text or ""
    return sum(1 for line in text.splitlines() if line.startswith(("import ", "import\t")))


def review_member(member: ChangedMember) -> list[Flag]:
    if member.change == "previous" or member.kind == "npm-tarball":
        return []
    base = member.path.rsplit("/", 1)[-1]
    at_root = member.kind == "wheel" and installed_at_root(member.path)
    if base in STARTUP_MODULES and at_root:
        return [Flag(RULE, f"{base} installed into site-packages: it runs at every interpreter "
                     "start")]
    if not base.endswith(".pth"):
        return []
    if at_root:
        reason = ("a .pth file installed into site-packages: Python runs its import lines at "
                  "every interpreter start")
    elif member.kind == "wheel":
        reason = ("a .pth file inside a package folder (site does not run it there): check "
                  "why it ships")
    else:
        reason = ("a .pth file in the sdist: check whether the build installs it into "
                  "site-packages, where it would run at every interpreter start")
    lines = _import_lines(member)
    detail = f"{lines} executable import line{'s' if lines != 1 else ''}"
    return [Flag(RULE, reason, detail=detail)]
