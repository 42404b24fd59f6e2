"""Fixture release pairs for the diff tests: a hatchling project at 1.0, and its 1.1 that adds
what a reviewer must see (a .pth file, a native-binary stub, a console script, a dependency),
loosens a specifier and moves the Homepage to another host.

A plain module beside clitools.py, shared by the engine tests and the command-line tests."""

from __future__ import annotations

import json
from pathlib import Path

#: ELF header bytes: what a compiled extension module starts with
ELF_STUB = b"\x7fELF\x02\x01\x01\x00" + bytes(56)
#: the flags the 1.1 of a pair must raise (rule names)
PAIR_FLAGS = {"pth-file", "native-binary", "console-script", "dependency-added",
              "dependency-loosened", "project-url-host"}


def module_of(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


def write_release(root: Path, name: str, version: str, *, risky: bool, extra_init: str = "",
                  extra_pyproject: str = "") -> Path:
    """The project directory of ``name`` ``version``; ``risky`` gives it the 1.1 changes."""
    module = module_of(name)
    package = root / "src" / module
    package.mkdir(parents=True, exist_ok=True)
    dependencies = ["idna>=3", "packaging>=24"] if risky else ["idna>=3,<4"]
    homepage = (f"https://mirror.example.net/{name}" if risky
                else f"https://docs.example.org/{name}")
    pyproject = (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "fixture {name}"\n'
        f'requires-python = ">=3.8"\ndependencies = {json.dumps(dependencies)}\n\n'
        f'[project.urls]\nHomepage = "{homepage}"\nSource = "https://code.example.org/{name}"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["src/{module}"]\n')
    init = f'"""{name}."""\n\nVERSION = "{version}"\n{extra_init}'
    if risky:
        pyproject += (f'\n[tool.hatch.build.targets.wheel.force-include]\n'
                      f'"startup.pth" = "{module}_startup.pth"\n\n'
                      f'[project.scripts]\n{name}-cli = "{module}.cli:main"\n')
        (root / "startup.pth").write_text(f"import {module}\n")
        (package / "cli.py").write_text("def main() -> None:\n    print('hello')\n")
        (package / "_speedups.so").write_bytes(ELF_STUB)
    (root / "pyproject.toml").write_text(pyproject + extra_pyproject)
    (package / "__init__.py").write_text(init)
    return root
