"""The built-in review rules, as plain functions both sides apply.

Each rule is a module with its name in ``RULE`` and a ``review_member`` (the bytes of one
added or changed member) or ``review_release`` (the diff as a whole) function. The command
line registers each as a plugin of that name (:mod:`hatch_stage.plugins.rules`), so a team
disables one with ``disable = ["name"]`` and adds its own beside them; the registry's review
page applies them directly through :class:`BuiltinRules`, since the registry never loads the
client's plugins. Every flag carries the rule's name as its ``plugin``, on both sides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..model import ChangedMember, Flag, ReleaseDiff
from . import (
    build_changed,
    console_script,
    dependency_added,
    dependency_loosened,
    import_time_code,
    install_script,
    native_binary,
    opaque_blob,
    project_url_host,
    provenance_dropped,
    pth_file,
    publisher_changed,
    wheel_not_in_sdist,
)


def _nothing(_: object) -> list[Flag]:
    return []


@dataclass(frozen=True)
class Rule:
    """One built-in review rule."""

    #: the rule's stable name: the name of its plugin and of every flag it raises
    name: str
    #: flags for one added or changed member
    review_member: Callable[[ChangedMember], list[Flag]] = _nothing
    #: flags for the release as a whole
    review_release: Callable[[ReleaseDiff], list[Flag]] = _nothing


#: every built-in rule, member rules first, in the order their flags are listed
BUILTIN_RULES: tuple[Rule, ...] = (
    *(Rule(module.RULE, review_member=module.review_member)
      for module in (pth_file, native_binary, import_time_code, opaque_blob)),
    *(Rule(module.RULE, review_release=module.review_release)
      for module in (build_changed, console_script, dependency_added, dependency_loosened,
                     project_url_host, wheel_not_in_sdist, install_script,
                     provenance_dropped, publisher_changed)),
)
#: the built-in rules by name
RULES: dict[str, Rule] = {rule.name: rule for rule in BUILTIN_RULES}


def labelled(flags: Iterable[Flag], plugin: str) -> list[Flag]:
    """``flags`` with ``plugin`` filled in where the rule left it empty."""
    return [flag if flag.plugin else dataclasses.replace(flag, plugin=plugin) for flag in flags]


class BuiltinRules:
    """The built-in rules but the ``disabled`` ones, as a :class:`~hatch_stage.diff.Rules`
    object for :func:`~hatch_stage.diff.compare_releases` (what the registry applies)."""

    def __init__(self, disabled: Iterable[str] = ()) -> None:
        unknown = sorted(set(disabled) - set(RULES))
        if unknown:
            raise ValueError(f"no built-in review rule {', '.join(unknown)}; the rules are "
                             f"{', '.join(RULES)}")
        self.rules = [rule for rule in BUILTIN_RULES if rule.name not in set(disabled)]

    def member(self, member: ChangedMember) -> list[Flag]:
        return [flag for rule in self.rules
                for flag in labelled(rule.review_member(member), rule.name)]

    def release(self, diff: ReleaseDiff) -> list[Flag]:
        return [flag for rule in self.rules
                for flag in labelled(rule.review_release(diff), rule.name)]
