"""Workspaces made for the tests: a hatch or uv workspace of Python projects (``core`` <-
``lib`` <- ``app`` and whatever else a test asks for), each member a real hatchling project
under names of the test's own, in a repository of its own (so the search for a workspace
root stops there). A plain module shared by the client and registry tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stagekit import module_of, unique_name

README = """# {name}

Part of a workspace staged by hatch-stage's tests.

## Usage

    import {module}
"""


@dataclass
class Workspace:
    """A generated workspace: its root and each member's directory by role."""

    root: Path
    tool: str
    #: role ("core", "lib", "app", ...) -> distribution name
    names: dict[str, str] = field(default_factory=dict)
    #: role -> member directory
    dirs: dict[str, Path] = field(default_factory=dict)

    def set_version(self, role: str, version: str) -> None:
        init = self.dirs[role] / "src" / module_of(self.names[role]) / "__init__.py"
        init.write_text(f'__version__ = "{version}"\nRELEASE = "{self.names[role]} {version}"\n')


def _member(directory: Path, name: str, version: str, requires: Sequence[str], tool: str,
            extra: str) -> None:
    module = module_of(name)
    (directory / "src" / module).mkdir(parents=True)
    (directory / "src" / module / "__init__.py").write_text(
        f'__version__ = "{version}"\nRELEASE = "{name} {version}"\n')
    (directory / "README.md").write_text(README.format(name=name, module=module))
    dependencies = "".join(f'    "{dependency}",\n' for dependency in requires)
    sources = ""
    if tool == "uv" and requires:
        sources = "\n[tool.uv.sources]\n" + "".join(
            f"{dependency} = {{ workspace = true }}\n" for dependency in requires)
    (directory / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\ndynamic = ["version"]\n'
        f'description = "{name}, a workspace member"\nreadme = "README.md"\n'
        f'requires-python = ">=3.9"\nlicense = "MIT"\ndependencies = [\n{dependencies}]\n'
        f"{extra}\n"
        f'[tool.hatch.version]\npath = "src/{module}/__init__.py"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["src/{module}"]\n{sources}')


def python_workspace(root: Path, tool: str = "hatch", version: str = "1.0.0",
                     graph: Mapping[str, Sequence[str]] | None = None,
                     extra: Mapping[str, str] | None = None) -> Workspace:
    """A ``tool`` ("hatch" or "uv") workspace at ``root`` whose members (role -> the roles it
    depends on, default core <- lib <- app) are at ``version``; ``extra`` adds lines to a
    member's ``[project]`` table."""
    graph = graph or {"core": [], "lib": ["core"], "app": ["lib"]}
    (root / ".git").mkdir(parents=True)
    if tool == "hatch":
        (root / "pyproject.toml").write_text(
            '[tool.hatch.envs.default]\nskip-install = true\nworkspace.members = ["packages/*"]\n')
    else:
        (root / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    workspace = Workspace(root, tool)
    for role in graph:
        workspace.names[role] = unique_name(role)
    for role, needs in graph.items():
        directory = root / "packages" / role
        workspace.dirs[role] = directory
        _member(directory, workspace.names[role], version,
                [workspace.names[need] for need in needs], tool, (extra or {}).get(role, ""))
    return workspace
