"""The registry's shape, checked on its source: one direction (HTTP routes -> the Registry
facade -> use cases -> storage), no import cycles, no module reaching into another's private
names, and never an import of the client's pipeline, plugins or commands (the inspection code
both sides share lives in the neutral ``hatch_stage.inspection``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import hatch_stage.registry

PACKAGE = Path(hatch_stage.registry.__file__).parent
#: the HTTP side: routes, documents, the app and the server
HTTP = {"app", "server", "web", "pep694", "simple", "legacy", "oidc", "documents"}
#: the facade (and the package's public names)
FACADE = {"service", "__init__"}
#: what the registry must never load: the client's side
CLIENT = ("hatch_stage.pipeline", "hatch_stage.plugins", "hatch_stage.commands",
          "hatch_stage.cli", "hatch_stage.hatch_plugin", "hatch_stage.targets",
          "hatch_stage.registry_choice", "hatch_stage.hookspecs")


def _modules() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text(), str(path)) for path in PACKAGE.glob("*.py")}


def _imports(tree: ast.Module) -> set[str]:
    """Absolute names of everything a registry module imports, lazily or not."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                parts = ["hatch_stage", "registry"][: 3 - node.level]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            # ``from . import files`` imports the module hatch_stage.registry.files
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _siblings(tree: ast.Module, names: set[str]) -> set[str]:
    prefix = "hatch_stage.registry."
    return {name[len(prefix):].split(".")[0] for name in _imports(tree)
            if name.startswith(prefix) and name[len(prefix):].split(".")[0] in names}


def test_the_registry_never_imports_the_client_side() -> None:
    for name, tree in _modules().items():
        bad = sorted(i for i in _imports(tree) if i.startswith(CLIENT))
        assert not bad, f"registry/{name}.py imports {bad}"
    # and at run time: the whole server, every module loaded, pulls in none of them
    code = ("import sys, pkgutil, importlib, hatch_stage.registry as r\n"
            "for m in pkgutil.iter_modules(r.__path__):\n"
            "    importlib.import_module(f'{r.__name__}.{m.name}')\n"
            f"print([m for m in sys.modules if m.startswith({CLIENT!r})])")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120).stdout.strip()
    assert loaded == "[]", loaded


def test_one_direction_and_no_cycles() -> None:
    modules = _modules()
    names = set(modules)
    graph = {name: _siblings(tree, names) - {name} for name, tree in modules.items()}
    below = names - HTTP - FACADE
    for name in below:
        upward = graph[name] & (HTTP | FACADE)
        assert not upward, f"registry/{name}.py (a use case or storage) imports {upward}"
    for name in FACADE - {"__init__"}:
        assert not graph[name] & HTTP, f"the facade imports the HTTP layer: {graph[name] & HTTP}"
    # depth-first search for a cycle among the modules
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != "open", f"import cycle: {' -> '.join([*path, nxt])}"
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_module_calls_anothers_private_names() -> None:
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") \
                if isinstance(node, ast.Attribute) else True
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and not own):
                raise AssertionError(f"registry/{name}.py:{node.lineno} uses .{node.attr} of "
                                     "another object")
