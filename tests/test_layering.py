"""Issue 11, item 19: the package's import layering, read from the source (lazy imports too).

- a protocol client (``hatch_stage.targets``, ``hatch_stage.npm``) never imports the registry
  server, or the choice of registry that can start it: importing the PEP 694 client loads no
  server code (what a CLI that only talks HTTP should pay for);
- the registry server never imports the client side (pipeline, plugins, commands, targets);
- nothing but the hatch publisher (an entry point too) imports ``hatch_stage.cli``;
- outside the registry package, no two modules import each other, directly or round a loop.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SOURCE / "hatch_stage"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Iterator[str]:
    """Every hatch_stage module ``path`` imports, at the top or inside a function."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # "from . import x" imports the module x when there is one
            names = [f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base
                     for alias in node.names]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] == "hatch_stage")


def is_module(name: str) -> bool:
    path = SOURCE.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


GRAPH = {module_name(path): set(imported(path)) for path in PACKAGE.rglob("*.py")}


def within(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def test_the_graph_was_read() -> None:
    assert "hatch_stage.urls" in GRAPH["hatch_stage.targets.pep694"]
    assert "hatch_stage.registry.service" in GRAPH["hatch_stage.registry.app"] | {
        dependency for name in GRAPH if name.startswith("hatch_stage.registry")
        for dependency in GRAPH[name]}


@pytest.mark.parametrize("client", ["hatch_stage.targets", "hatch_stage.npm"])
def test_protocol_clients_never_import_the_registry_server(client: str) -> None:
    server = ("hatch_stage.registry", "hatch_stage.registry_choice")
    offending = {name: sorted(dependency for dependency in dependencies
                              if within(dependency, *server))
                 for name, dependencies in GRAPH.items() if within(name, client)}
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_registry_server_never_imports_the_client_side() -> None:
    client = ("hatch_stage.pipeline", "hatch_stage.plugins", "hatch_stage.commands",
              "hatch_stage.targets", "hatch_stage.cli", "hatch_stage.registry_choice",
              "hatch_stage.hatch_plugin", "hatch_stage.npm")
    offending = {name: sorted(dependency for dependency in dependencies
                              if within(dependency, *client))
                 for name, dependencies in GRAPH.items() if within(name, "hatch_stage.registry")}
    assert {name: found for name, found in offending.items() if found} == {}


def test_only_the_hatch_publisher_runs_the_command_line() -> None:
    # it is an entry point itself (hatch's); a library module never needs the command line
    assert sorted(name for name, dependencies in GRAPH.items()
                  if "hatch_stage.cli" in dependencies) == ["hatch_stage.hatch_plugin"]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for neighbour in graph.get(node, ()):
            if neighbour not in graph:
                continue
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_outside_the_registry_package() -> None:
    client_side = {name: {dependency for dependency in dependencies
                          if not within(dependency, "hatch_stage.registry")}
                   for name, dependencies in GRAPH.items()
                   if not within(name, "hatch_stage.registry")}
    # the command line loads the command modules by name: count that edge too
    client_side["hatch_stage.cli"] |= {name for name in GRAPH
                                       if within(name, "hatch_stage.commands")}
    assert cycles(client_side) == []


def test_cycles_are_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_importing_the_pep694_client_loads_no_server_code() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, hatch_stage.targets.pep694, hatch_stage.targets.npm; "
         "print('\\n'.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()
    server = [name for name in loaded if within(
        name, "hatch_stage.registry", "hatch_stage.registry_choice", "uvicorn", "starlette",
        "sqlalchemy")]
    assert server == []


@pytest.mark.parametrize("neutral", ["hatch_stage.diff", "hatch_stage.verification",
                                     "hatch_stage.pep517"])
def test_the_review_comparisons_import_neither_side(neutral: str) -> None:
    """Issue 9: the release diff and the wheel check serve the command line and, later, the
    registry's review page, so they import neither the client's machinery nor the server."""
    sides = ("hatch_stage.registry", "hatch_stage.registry_choice", "hatch_stage.pipeline",
             "hatch_stage.plugins", "hatch_stage.commands", "hatch_stage.targets",
             "hatch_stage.cli", "hatch_stage.reviewing", "hatch_stage.hookspecs")
    offending = {name: sorted(d for d in dependencies if within(d, *sides))
                 for name, dependencies in GRAPH.items() if within(name, neutral)}
    assert {name: found for name, found in offending.items() if found} == {}
