"""Bounded unified diffs of changed text members (``diff --files``).

difflib is quadratic in the worst case, so a member is diffed only when both sides are
below ``max_member_bytes``; the diff itself is cut after ``max_lines``; and a whole release
gets at most ``max_total_bytes`` of diff text. What is left out says so in the note.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLimits:
    """Bounds of the text diffs of one release."""

    #: members larger than this (either side) are compared by hash only
    max_member_bytes: int = 512 * 1024
    #: lines of diff kept per member
    max_lines: int = 400
    #: diff text kept for the whole release
    max_total_bytes: int = 2 * 1024 * 1024


@dataclass
class DiffBudget:
    """What is left of a release's diff allowance."""

    limits: DiffLimits
    spent: int = 0

    def can_diff(self, size: int) -> str:
        """"" when a member of ``size`` bytes may be diffed, else why not."""
        if size > self.limits.max_member_bytes:
            return f"too large to diff (over {self.limits.max_member_bytes // 1024} KiB)"
        if self.spent >= self.limits.max_total_bytes:
            return "diff left out: this release's diff allowance is used up"
        return ""

    def unified(self, path: str, old: str, new: str) -> tuple[str, str]:
        """(diff text, note) of one member, charged to the budget."""
        lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     fromfile=f"a/{path}", tofile=f"b/{path}", n=3)
        kept: list[str] = []
        note = ""
        for count, line in enumerate(lines):
            if count >= self.limits.max_lines:
                note = f"diff cut after {self.limits.max_lines} lines"
                break
            kept.append(line if line.endswith("\n") else line + "\n")
        text = "".join(kept)
        room = self.limits.max_total_bytes - self.spent
        if len(text) > room:
            text, note = text[:room], "diff cut: this release's diff allowance is used up"
        self.spent += len(text)
        return text, note
