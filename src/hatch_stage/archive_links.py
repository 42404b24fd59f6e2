"""Where a link inside an archive leads, decided without touching the file system.

hatchling keeps in-tree symbolic links in sdists (a ``README.md`` pointing at ``docs/index.md``,
``docs/changelog.md`` at ``../CHANGELOG.md``), and tar has hard links. Such a link is safe to
read when, followed the way an extracting tool would follow it, it ends on a regular file of
the same archive. :func:`resolve_link` walks the target one path component at a time, as
``realpath`` does: ``..`` steps up, a component that is itself a link is replaced by its target
(so chains and links to directories are followed), and the walk is refused the moment it
would leave the archive, whatever comes after (``../../pkg-1.0/x`` never "comes back").
Absolute targets, Windows drives and backslashes are refused outright, and so are loops. A
link that stays inside but ends on a directory, or on nothing, has no content to read.

A node is (kind, target): kind is ``file``, ``dir``, ``symlink`` or ``hardlink``; a symbolic
link's target is relative to the link's directory, a hard link's to the archive root.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ArchiveError

#: how many links one walk may pass through (Linux's SYMLOOP_MAX)
MAX_HOPS = 40

#: (kind, target) of one member
Node = tuple[str, str]


def node_key(name: str) -> str:
    """A member name as the walk compares them: no ``./`` prefix, no trailing slash."""
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def _refuse(artifact: str, name: str, target: str, why: str) -> ArchiveError:
    return ArchiveError(f"{artifact}: member {name!r} is a link to {target!r}, {why}; refused")


def _parts(path: str) -> list[str]:
    return [part for part in path.split("/") if part not in ("", ".")]


def resolve_link(artifact: str, name: str, nodes: Mapping[str, Node]) -> str | None:
    """The regular member the link ``name`` ends on; :class:`ArchiveError` if it is unsafe.

    None for a link that stays inside the archive but ends on a directory or on nothing: it
    has no content to read (extracted, it is a link to a directory, or a dangling one).

    :param nodes: every member of the archive by :func:`node_key`
    """
    key = node_key(name)
    kind, target = nodes[key]
    where = key.split("/")[:-1] if kind == "symlink" else []
    pending = [target]
    queue: list[str] = []
    hops = 0
    while pending or queue:
        if pending:
            text = pending.pop()
            if text.startswith("/") or "\\" in text or (len(text) > 1 and text[1] == ":"):
                raise _refuse(artifact, name, target, "an absolute path outside the archive")
            queue = _parts(text) + queue
            continue
        part = queue.pop(0)
        if part == "..":
            if not where:
                why = ("through a chain of links that leads out of the archive" if hops else
                       "which leads out of the archive")
                raise _refuse(artifact, name, target, why)
            where.pop()
            continue
        where.append(part)
        step_kind, step_target = nodes.get("/".join(where), ("dir", ""))
        if step_kind in ("symlink", "hardlink"):
            hops += 1
            if hops > MAX_HOPS:
                why = f"through more than {MAX_HOPS} links (a loop?)"
                raise _refuse(artifact, name, target, why)
            where = where[:-1] if step_kind == "symlink" else []
            pending.append(step_target)
    final = "/".join(where)
    return final if nodes.get(final, ("", ""))[0] == "file" else None
