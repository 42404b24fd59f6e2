"""The registry's own shape (issue 8, part C), read from the source with the import graph of
tests/test_layering.py: one direction (HTTP routes -> the Registry facade -> use cases ->
storage), no import cycles inside the package, no module reaching into another object's
private names, and, loaded for real, not one module of the client side."""

from __future__ import annotations

import ast
import subprocess
import sys

from test_layering import GRAPH, PACKAGE, cycles, within

REGISTRY = "hatch_stage.registry"
#: the HTTP side: routes, documents, pages, the app, the server and the background worker
#: it starts
HTTP = {f"{REGISTRY}.{name}" for name in
        ("app", "server", "web", "pep694", "simple", "legacy", "oidc", "documents", "origin",
         "forms", "openapi", "integrity", "reviewpages", "pages", "worker")}
#: the facade, and the package's public names
FACADE = {REGISTRY, f"{REGISTRY}.service"}
INSIDE = {name: {dependency for dependency in dependencies if within(dependency, REGISTRY)}
          for name, dependencies in GRAPH.items() if within(name, REGISTRY)}


def test_one_direction() -> None:
    assert set(INSIDE) > HTTP | FACADE, "the graph lost registry modules"
    upward = {name: sorted(dependencies & (HTTP | FACADE))
              for name, dependencies in INSIDE.items() if name not in HTTP | FACADE}
    assert {name: found for name, found in upward.items() if found} == {}, \
        "a use case or storage module imports the facade or the HTTP side"
    assert not INSIDE[f"{REGISTRY}.service"] & HTTP, "the facade imports the HTTP side"


def test_no_import_cycles_inside_the_registry() -> None:
    assert cycles(INSIDE) == []


def test_no_module_uses_private_names_of_another_object() -> None:
    for path in sorted((PACKAGE / "registry").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            private = node.attr.startswith("_") and not node.attr.startswith("__")
            assert own or not private, f"{path.name}:{node.lineno} uses .{node.attr}"


def test_loading_every_registry_module_loads_nothing_of_the_client() -> None:
    client = ("hatch_stage.pipeline", "hatch_stage.plugins", "hatch_stage.commands",
              "hatch_stage.cli", "hatch_stage.hatch_plugin", "hatch_stage.targets",
              "hatch_stage.registry_choice", "hatch_stage.hookspecs")
    code = ("import sys, pkgutil, importlib, hatch_stage.registry as r\n"
            "for m in pkgutil.iter_modules(r.__path__):\n"
            "    importlib.import_module(f'{r.__name__}.{m.name}')\n"
            f"print([m for m in sys.modules if m.startswith({client!r})])")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120).stdout.strip()
    assert loaded == "[]", loaded
