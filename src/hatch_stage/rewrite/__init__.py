"""The pieces behind the built-in ``workspace-rewrite`` plugin.

- :mod:`.workspace` finds the workspace a project belongs to (hatch or uv) and its members.
- :mod:`.pins` decides the new specifier of a requirement (workspace pin or catalog entry).
- :mod:`.metadata` and :mod:`.tomltext` apply it to core metadata and pyproject.toml text.
- :mod:`.repack` copies an archive with a few members replaced; :mod:`.wheel` and :mod:`.sdist`
  put these together for each kind of artifact.

docs/rewrite.md explains the behaviour for users.
"""
