"""Whether a version satisfies an npm range, as npm (node-semver) decides it.

Used to check, before a workspace is staged, that every range a member publishes for another
member is met by a version that is published or in the same release. The grammar is
node-semver's: ``||`` alternatives of space-separated comparators, hyphen ranges
(``1.2 - 2``), X-ranges (``1.x``, ``*``, ``""``), tilde (``~1.2.3``), caret (``^0.2.3``) and
primitives (``>=1.2``), each turned into plain comparators the way node-semver desugars them.
A pre-release version satisfies a set only when a comparator of the set names a pre-release
of the same major.minor.patch (node-semver's rule without ``includePrerelease``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import semver

_PARTIAL = r"[v=\s]*(?P<major>[0-9]+|x|X|\*)(?:\.(?P<minor>[0-9]+|x|X|\*)" \
    r"(?:\.(?P<patch>[0-9]+|x|X|\*)(?:-?(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?)?)?"
_COMPARATOR = re.compile(rf"^(?P<op><=|>=|<|>|=|\^|~>?|)\s*{_PARTIAL}$")
_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")
_WILD = ("x", "X", "*", None)

Test = Callable[[semver.Version], bool]
#: a desugared comparator: (operator, version)
Comparator = tuple[str, semver.Version]


class InvalidRange(ValueError):
    """Not a range npm understands (a tag, a URL, a path...)."""


def _version(major: int, minor: int = 0, patch: int = 0, pre: str | None = None) -> semver.Version:
    return semver.Version(major, minor, patch, pre)


def _parts(match: re.Match[str]) -> tuple[int | None, int | None, int | None, str | None]:
    numbers = [None if match.group(key) in _WILD else int(match.group(key))
               for key in ("major", "minor", "patch")]
    major, minor, patch = numbers
    # a wildcard makes everything after it a wildcard too ("1.x.3" is "1.x")
    if major is None:
        minor = patch = None
    if minor is None:
        patch = None
    return major, minor, patch, match.group("pre") if patch is not None else None


def _x_range(major: int | None, minor: int | None) -> list[Comparator]:
    """``1`` / ``1.2`` (the missing parts wild), as comparators."""
    if major is None:
        return [(">=", _version(0))]
    if minor is None:
        return [(">=", _version(major)), ("<", _version(major + 1, pre="0"))]
    return [(">=", _version(major, minor)), ("<", _version(major, minor + 1, pre="0"))]


def _caret(major: int, minor: int | None, patch: int | None, pre: str | None) -> list[Comparator]:
    low = _version(major, minor or 0, patch or 0, pre)
    if major > 0 or minor is None:
        high = _version(major + 1, pre="0")
    elif minor > 0 or patch is None:
        high = _version(0, minor + 1, pre="0")
    else:
        high = _version(0, 0, patch + 1, pre="0")
    return [(">=", low), ("<", high)]


def _primitive(op: str, major: int | None, minor: int | None, patch: int | None,
               pre: str | None) -> list[Comparator]:
    if major is None:  # ">=*" and "<=*" match everything, ">*" and "<*" nothing
        return [(">=", _version(0))] if op in (">=", "<=") else [("<", _version(0, pre="0"))]
    if patch is not None:
        return [(op, _version(major, minor or 0, patch, pre))]
    # a partial version stands for the whole span from ``low`` up to ``following``
    low = _version(major, minor or 0)
    following = _version(major + 1) if minor is None else _version(major, minor + 1)
    return {">": [(">=", following)], ">=": [(">=", low)],
            "<": [("<", low.replace(prerelease="0"))],
            "<=": [("<", following.replace(prerelease="0"))]}[op]


def _comparators(text: str) -> list[Comparator]:
    match = _COMPARATOR.match(text)
    if match is None:
        raise InvalidRange(f"{text!r} is not a version comparator")
    op = match.group("op")
    major, minor, patch, pre = _parts(match)
    if op in ("", "="):
        if patch is None:
            return _x_range(major, minor)
        return [("=", _version(major or 0, minor or 0, patch, pre))]
    if op.startswith("~"):
        if major is None:
            return [(">=", _version(0))]
        return [(">=", _version(major, minor or 0, patch or 0, pre)),
                *_x_range(major, minor)[1:]]
    if op == "^":
        return [(">=", _version(0))] if major is None else _caret(major, minor, patch, pre)
    return _primitive(op, major, minor, patch, pre)


def _hyphen(low: str, high: str) -> list[Comparator]:
    start, end = _COMPARATOR.match(low), _COMPARATOR.match(high)
    if start is None or end is None or start.group("op") or end.group("op"):
        raise InvalidRange(f"{low} - {high} is not a hyphen range")
    major, minor, patch, pre = _parts(start)
    comparators: list[Comparator] = []
    if major is not None:
        comparators.append((">=", _version(major, minor or 0, patch or 0, pre)))
    major, minor, patch, pre = _parts(end)
    if major is None:
        return comparators or [(">=", _version(0))]
    if patch is not None:
        return [*comparators, ("<=", _version(major, minor or 0, patch, pre))]
    return [*comparators, *_x_range(major, minor)[1:]]


def _sets(range_: str) -> list[list[Comparator]]:
    sets = []
    for alternative in range_.split("||"):
        alternative = alternative.strip()
        hyphen = _HYPHEN.match(alternative)
        if hyphen:
            sets.append(_hyphen(hyphen.group(1), hyphen.group(2)))
            continue
        # "> 1.2" and ">=  1.2" keep the operator with its version
        tokens = re.sub(r"(<=|>=|<|>|=|\^|~>?)\s+", r"\1", alternative).split()
        comparators: list[Comparator] = []
        for token in tokens or ["*"]:
            comparators.extend(_comparators(token))
        sets.append(comparators)
    return sets


_OPS: dict[str, Callable[[int], bool]] = {
    "=": lambda c: c == 0, "<": lambda c: c < 0, "<=": lambda c: c <= 0,
    ">": lambda c: c > 0, ">=": lambda c: c >= 0,
}


def _test(comparators: list[Comparator], version: semver.Version) -> bool:
    plain = version.replace(build=None)
    if not all(_OPS[op](plain.compare(bound)) for op, bound in comparators):
        return False
    if not version.prerelease:
        return True
    return any(bound.prerelease and bound.finalize_version() == version.finalize_version()
               for _op, bound in comparators)


def satisfies(version: str, range_: str) -> bool:
    """Whether ``version`` satisfies the npm ``range_``; :class:`InvalidRange` when
    ``range_`` is no range (a dist-tag, a URL, ``file:`` ...), ``ValueError`` when
    ``version`` is no semver version."""
    parsed = semver.Version.parse(version.strip().lstrip("=v"))
    return any(_test(comparators, parsed) for comparators in _sets(range_))
