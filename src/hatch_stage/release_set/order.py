"""Dependency order: every member after the members it depends on.

Members that do not depend on each other keep the order they were given in (the
workspace's, by directory), so the order is the same on every run. A circle of
dependencies cannot be released in order and is an error naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import ConfigError


def dependency_order(keys: Sequence[str], depends_on: Mapping[str, set[str]]) -> list[str]:
    """``keys`` sorted so that each comes after those of ``depends_on[key]`` among ``keys``
    (dependencies outside ``keys`` are ignored)."""
    remaining = list(keys)
    among = set(keys)
    placed: list[str] = []
    done: set[str] = set()
    while remaining:
        ready = next((key for key in remaining
                      if not (depends_on.get(key, set()) & among) - done - {key}), None)
        if ready is None:
            raise ConfigError("workspace members depend on each other in a circle ("
                              + _circle(remaining, depends_on) + "): such members cannot be "
                              "released in dependency order; break the circle first")
        placed.append(ready)
        done.add(ready)
        remaining.remove(ready)
    return placed


def _circle(remaining: Sequence[str], depends_on: Mapping[str, set[str]]) -> str:
    """One circle among ``remaining``, as ``a -> b -> a``."""
    path = [remaining[0]]
    while True:
        following = sorted(depends_on.get(path[-1], set()) & set(remaining) - {path[-1]})
        step = following[0]
        if step in path:
            circle = [*path[path.index(step):], step]
            return " -> ".join(circle)
        path.append(step)
