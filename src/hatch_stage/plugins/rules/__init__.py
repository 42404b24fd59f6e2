"""The built-in review rules as plugins: one plugin per rule, named after it, so that each can
be disabled by name and outside rules sit beside them.

The rules themselves are :mod:`hatch_stage.diff.rules` (neutral ground: the registry's review
page applies the same functions). Member rules look at the bytes of added and changed
members (``hatch_stage_review_member``), release rules at the diff as a whole
(``hatch_stage_review_release``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...hookspecs import impl

if TYPE_CHECKING:
    from ...config import Config
    from ...diff.model import ChangedMember, Flag, ReleaseDiff
    from ...diff.rules import Rule


class ReviewRulePlugin:
    """One built-in review rule, registered under the rule's name. The rule is imported when
    a review first calls it: loading the plugins for ``check`` or ``publish`` imports no
    rule."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def rule(self) -> Rule:
        from ...diff.rules import RULES

        return RULES[self.name]

    @impl
    def hatch_stage_review_member(self, member: ChangedMember, config: Config) -> list[Flag]:
        return self.rule.review_member(member)

    @impl
    def hatch_stage_review_release(self, diff: ReleaseDiff, config: Config) -> list[Flag]:
        return self.rule.review_release(diff)


def plugin(name: str) -> ReviewRulePlugin:
    """The plugin of the built-in rule ``name`` (one of
    :data:`hatch_stage.plugins.RULE_NAMES`)."""
    return ReviewRulePlugin(name)
