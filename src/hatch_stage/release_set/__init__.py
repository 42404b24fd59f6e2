"""Releasing a whole workspace in one step (``publish --workspace``, ``check --workspace``).

- :mod:`.members`: the workspace's members, for either target, and which are chosen;
- :mod:`.published`: what the registry has published (read before anything is sent);
- :mod:`.plan`: each member prepared, every rule checked, the dependency order;
- :mod:`.pins`: what a packed member requires of the others; :mod:`.order`: the order.

Staging, grouping and the report are the command's (:mod:`hatch_stage.commands.workspace`).
"""
