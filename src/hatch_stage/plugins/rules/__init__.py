"""The built-in review rules as plugins: one plugin per rule, named after it, so that each can
be disabled by name and outside rules sit beside them.

The rules themselves are :mod:`hatch_stage.diff.rules` (neutral ground: the registry's review
page applies the same functions). Member rules look at the bytes of added and changed
members (``hatch_stage_review_member``), release rules at the diff as a whole
(``hatch_stage_review_release``).
"""

from __future__ import annotations

from ...config import Config
from ...diff.model import ChangedMember, Flag, ReleaseDiff
from ...diff.rules import RULES, Rule
from ...hookspecs import impl


class ReviewRulePlugin:
    """One built-in review rule, registered under the rule's name."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    @impl
    def hatch_stage_review_member(self, member: ChangedMember, config: Config) -> list[Flag]:
        return self.rule.review_member(member)

    @impl
    def hatch_stage_review_release(self, diff: ReleaseDiff, config: Config) -> list[Flag]:
        return self.rule.review_release(diff)


def plugin(name: str) -> ReviewRulePlugin:
    """The plugin of the built-in rule ``name``."""
    return ReviewRulePlugin(RULES[name])
