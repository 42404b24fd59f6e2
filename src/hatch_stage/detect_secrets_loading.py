"""Importing detect-secrets without loading ``requests``, which only its verifiers use.

detect-secrets imports ``requests`` in its plugin base class, its common filters and a few
plugins, for one purpose: sending a found secret to its provider to check it is live.
hatch-stage never does that (it would hand the secrets to third parties), yet the import
alone brings requests, urllib3, charset-normalizer, idna and certifi: about 10 MiB and 60 ms
on every start-up that scans, which is most of what a dry run's client costs beyond its own
code.

:func:`load_detect_secrets` imports detect-secrets' modules with a stand-in bound to
``requests`` (:class:`RequestsOnDemand`), then takes the stand-in out of ``sys.modules`` again,
so everything imported afterwards gets the real module as usual. detect-secrets' modules keep
the stand-in: the first time anything of requests is used through it, the real module is
imported and answers. The one name detect-secrets reads while it is being imported,
``requests.Response`` in the annotations of its verifier functions, is given as the string
that postponed evaluation of annotations would have kept. When requests is already loaded,
nothing is stood in for.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import threading
import types
from typing import Any

#: detect-secrets' modules imported at once: whatever imports requests among them is imported
#: while the stand-in is in place (plugins and filters are otherwise imported on demand)
_PACKAGES = ("detect_secrets.plugins", "detect_secrets.filters")
_MODULES = ("detect_secrets.core.scan", "detect_secrets.settings",
            "detect_secrets.core.plugins.util", "detect_secrets.transformers")

_lock = threading.Lock()
_loaded = False


class RequestsOnDemand(types.ModuleType):
    """Stands for ``requests`` in detect-secrets' modules until something of it is used."""

    def __init__(self) -> None:
        super().__init__("requests")
        #: detect-secrets is being imported: only annotations read requests now
        self.importing = True

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system asking about a module: not requests
            raise AttributeError(name)
        if name == "Response" and self.importing:
            return "requests.Response"
        return getattr(_real_requests(), name)


def _real_requests() -> types.ModuleType:
    module = sys.modules.get("requests")
    if module is None or isinstance(module, RequestsOnDemand):
        sys.modules.pop("requests", None)
        module = importlib.import_module("requests")
    return module


def load_detect_secrets() -> None:
    """Import detect-secrets' core, settings, plugins and filters (once per process) without
    importing requests, unless something else already did."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        stand_in = None
        if "requests" not in sys.modules and "detect_secrets.plugins.base" not in sys.modules:
            stand_in = RequestsOnDemand()
            sys.modules["requests"] = stand_in
        try:
            for name in _MODULES:
                importlib.import_module(name)
            for package_name in _PACKAGES:
                package = importlib.import_module(package_name)
                for module in pkgutil.iter_modules(package.__path__, f"{package_name}."):
                    try:
                        importlib.import_module(module.name)
                    except ImportError:  # an optional extra (gibberish, wordlist) not installed
                        continue
        finally:
            if stand_in is not None:
                stand_in.importing = False
                if sys.modules.get("requests") is stand_in:
                    del sys.modules["requests"]
        _loaded = True
