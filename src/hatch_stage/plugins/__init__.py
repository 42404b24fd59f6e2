"""Loading plugins: the built-in ones and every installed ``hatch_stage`` entry point.

Built-in stages are ordinary plugin modules registered by name through the same function as
outside plugins, so blocking or replacing a built-in is the same act as adding a plugin.
``[tool.hatch-stage] disable = ["name"]`` blocks plugins by name; the environment variable
``HATCH_STAGE_LOAD_PLUGINS=a,b`` loads only the named ones (for tests and debugging).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator
from importlib.metadata import EntryPoint, distributions
from types import ModuleType
from typing import Any

import pluggy
from packaging.utils import canonicalize_name

from .. import hookspecs
from ..errors import PluginError

#: built-in plugin name -> module
BUILTIN: dict[str, str] = {
    "python-pack": "hatch_stage.plugins.python_pack",
    "workspace-rewrite": "hatch_stage.plugins.workspace_rewrite",
    "blocked-files": "hatch_stage.plugins.blocked_files",
    "detect-secrets": "hatch_stage.plugins.detect_secrets_scan",
    "python-score": "hatch_stage.plugins.python_score",
    "python-auth": "hatch_stage.plugins.python_auth",
    "pep740-sign": "hatch_stage.plugins.python_sign",
    "pep694-upload": "hatch_stage.plugins.python_upload",
    "npm-pack": "hatch_stage.plugins.npm_pack",
    "npm-rewrite": "hatch_stage.plugins.npm_rewrite",
    "npm-score": "hatch_stage.plugins.npm_score",
    "npm-auth": "hatch_stage.plugins.npm_auth",
    "npm-upload": "hatch_stage.plugins.npm_upload",
}

#: the built-in review rules (hatch-stage diff, view): one plugin per rule, made by this module
#: from the rules of hatch_stage.diff.rules, which the registry's review page applies too
RULES_MODULE = "hatch_stage.plugins.rules"
#: the names of those rules, in the order of ``hatch_stage.diff.rules.RULES`` (which
#: ``tests/test_cli_start.py`` holds this to): written out, so that loading the plugins
#: imports no rule
RULE_NAMES = (
    "pth-file", "native-binary", "import-time-code", "opaque-blob", "build-changed",
    "console-script", "dependency-added", "dependency-loosened", "project-url-host",
    "wheel-not-in-sdist", "install-script", "provenance-dropped", "publisher-changed",
)
BUILTIN.update({name: RULES_MODULE for name in RULE_NAMES})

_PACK, _REWRITE, _SCAN, _SCORE = ("hatch_stage_pack",), ("hatch_stage_rewrite",), (
    "hatch_stage_scan",), ("hatch_stage_score",)
#: the hooks each built-in implements (``tests/test_plugin_discovery.py`` holds this to what
#: the modules register): a command that runs some stages only loads the built-ins of those
BUILTIN_HOOKS: dict[str, tuple[str, ...]] = {
    "python-pack": _PACK, "workspace-rewrite": _REWRITE, "blocked-files": _SCAN,
    "detect-secrets": _SCAN, "python-score": _SCORE, "python-auth": ("hatch_stage_auth",),
    "pep740-sign": ("hatch_stage_sign",), "pep694-upload": ("hatch_stage_upload",),
    "npm-pack": _PACK, "npm-rewrite": _REWRITE, "npm-score": _SCORE,
    "npm-auth": ("hatch_stage_auth",), "npm-upload": ("hatch_stage_upload",),
    **dict.fromkeys(RULE_NAMES, ("hatch_stage_review_member", "hatch_stage_review_release")),
}

ONLY_VARIABLE = "HATCH_STAGE_LOAD_PLUGINS"


def _wanted(name: str, only: set[str] | None, manager: pluggy.PluginManager) -> bool:
    return (only is None or name in only) and not manager.is_blocked(name)


def _register(manager: pluggy.PluginManager, name: str, load: Any) -> None:
    try:
        plugin: ModuleType | object = load()
    except Exception as error:  # an outside plugin may fail in any way while importing
        raise PluginError(
            f"plugin {name!r} failed to load: {type(error).__name__}: {error}"
        ) from None
    manager.register(plugin, name=name)


def _builtin(name: str, module: str) -> object:
    loaded = importlib.import_module(module)
    return loaded.plugin(name) if module == RULES_MODULE else loaded


def installed_plugins() -> dict[str, EntryPoint]:
    """The installed ``hatch_stage`` entry points by name, as ``importlib.metadata``'s
    ``entry_points(group=...)`` gives them (of two installs of one distribution on the path,
    the first).

    Only the distributions whose ``entry_points.txt`` names the group are parsed:
    ``entry_points()`` parses every distribution's, some milliseconds of every check in an
    environment of a hundred packages, where a plugin is rare.
    """
    group = f"[{hookspecs.NAME}]"
    seen: set[str] = set()
    found: dict[str, EntryPoint] = {}
    for distribution in distributions():
        text = distribution.read_text("entry_points.txt")
        if not text or group not in text:
            continue
        name = canonicalize_name(distribution.name or "")
        if name in seen:
            continue
        seen.add(name)
        for point in distribution.entry_points.select(group=hookspecs.NAME):
            found.setdefault(point.name, point)
    return found


def outside_plugin_names() -> list[str]:
    """Names of the installed ``hatch_stage`` entry points."""
    return sorted(installed_plugins())


def plugin_manager(
    disable: Iterable[str] = (), only: Iterable[str] | None = None,
    hooks: Iterable[str] | None = None,
) -> pluggy.PluginManager:
    """A manager with every built-in and installed plugin, minus the disabled ones.

    A disabled name that matches no plugin is an error, since it is almost always a typo that
    would otherwise leave the plugin the user meant to block running. With ``hooks``, only
    the built-ins implementing one of them are loaded (a ``check`` runs pack, rewrite, scan
    and score: it needs no auth, upload or review rule); installed plugins are all loaded, as
    what they implement is known only once they are.
    """
    manager = pluggy.PluginManager(hookspecs.NAME)
    manager.add_hookspecs(hookspecs)
    installed = installed_plugins()
    unknown = sorted(set(disable) - set(BUILTIN) - set(installed))
    if unknown:
        known = ", ".join(sorted(set(BUILTIN) | set(installed)))
        raise PluginError(
            f"disable names unknown plugin(s) {', '.join(unknown)}; known plugins: {known}"
        )
    for name in disable:
        manager.set_blocked(name)
    if only is None and os.environ.get(ONLY_VARIABLE):
        only = [part.strip() for part in os.environ[ONLY_VARIABLE].split(",") if part.strip()]
    only_set = set(only) if only is not None else None
    needed = set(hooks) if hooks is not None else None
    for name, module in BUILTIN.items():
        if needed is not None and needed.isdisjoint(BUILTIN_HOOKS[name]):
            continue
        if _wanted(name, only_set, manager):
            _register(manager, name, lambda name=name, module=module: _builtin(name, module))
    for name, point in sorted(installed.items()):
        if name in BUILTIN:
            raise PluginError(f"installed plugin {point.value!r} uses the built-in name {name!r}")
        if _wanted(name, only_set, manager):
            _register(manager, name, point.load)
    return manager


def plugin_name(manager: pluggy.PluginManager, plugin: object) -> str:
    """The name a plugin was registered under (for reports)."""
    return manager.get_name(plugin) or repr(plugin)


def each_implementation(hook: Any, **kwargs: Any) -> Iterator[tuple[str, Any]]:
    """Call every implementation of ``hook`` in pluggy's order, yielding (plugin, result).

    Used where a caller needs to know which plugin said what (scan, score, review) or must
    feed one plugin's result to the next (rewrite).
    """
    for implementation in reversed(hook.get_hookimpls()):
        arguments = {name: kwargs[name] for name in implementation.argnames}
        yield implementation.plugin_name, implementation.function(**arguments)
