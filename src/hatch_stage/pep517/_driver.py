"""Runs a PEP 517 build backend's hooks in one process, for :mod:`hatch_stage.pep517.hooks`.

Started as a script by the interpreter of a build environment (or, with ``--no-isolation``,
hatch-stage's own), with the project directory as the working directory. Only the standard
library may be used here: nothing else is installed in a build environment.

Building the sdist and the wheel in one process, instead of one process per hook as
``pyproject_hooks`` does, saves the interpreter start and the backend import three times
over, which is most of the time a cached pre-commit run spends building.

Protocol, one JSON object per line. The caller writes the request on standard input:
``{"backend": "pkg.mod:obj", "backend_path": [...], "kinds": ["sdist", "wheel"], "out": DIR}``
(a kind may also be ``metadata``: the wheel's ``.dist-info`` directory, prepared).
For each kind this process sends ``{"requires": KIND, "list": [...]}`` (the backend's
``get_requires_for_build_KIND``) and waits for ``{"go": true}`` (the environment satisfies
them: build) or ``{"go": false}`` (stop: the caller installs them and starts again), then
sends ``{"built": KIND, "file": NAME}``. A failure sends ``{"error": WHAT, "hook": HOOK,
"message": ...}`` and exits with status 1; the traceback goes to the log. Messages travel on
copies of the original standard input and output; the backend's own output, and its
children's, goes to standard error, which the caller keeps as the build log, and their
standard input is empty.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from typing import IO, Any


def _channels() -> tuple[IO[str], IO[str]]:
    """(answers, messages): the real stdin and stdout, kept for the protocol alone.

    The backend may print and, worse, read: fd 1 now goes to the log and fd 0 reads nothing,
    for it and for every process it starts, so nothing it does can touch the protocol.
    """
    answers = os.fdopen(os.dup(0), "r", encoding="utf-8")
    messages = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.close(empty)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - open for the whole run
    return answers, messages


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _load_backend(spec: str, backend_path: list[str]) -> Any:
    module_name, _, attributes = spec.partition(":")
    if backend_path:
        sys.path[:0] = [os.path.abspath(path) for path in backend_path]
    backend = importlib.import_module(module_name)
    if backend_path:
        # PEP 517: an in-tree backend must come from the backend-path directories
        where = os.path.abspath(getattr(backend, "__file__", "") or "")
        if not any(where.startswith(os.path.abspath(path) + os.sep) for path in backend_path):
            raise ImportError(f"{module_name} was imported from {where}, not from backend-path")
    for attribute in filter(None, attributes.split(".")):
        backend = getattr(backend, attribute)
    return backend


def main() -> int:
    # this file's directory is sys.path[0]; nothing in it may shadow the backend's imports
    del sys.path[0]
    answers, channel = _channels()
    request = json.loads(answers.readline())
    hook = "import"
    try:
        backend = _load_backend(request["backend"], request.get("backend_path") or [])
    except Exception as error:
        traceback.print_exc()
        _send(channel, {"error": "backend_unavailable", "hook": hook, "message": str(error)})
        return 1
    try:
        for kind in request["kinds"]:
            # "metadata" is the wheel's core metadata: prepared if the backend can, else built
            target = "wheel" if kind == "metadata" else kind
            hook = f"get_requires_for_build_{target}"
            get_requires = getattr(backend, hook, None)
            requires = list(get_requires(None)) if get_requires is not None else []
            _send(channel, {"requires": kind, "list": [str(item) for item in requires]})
            if not json.loads(answers.readline()).get("go"):
                return 0
            hook = f"build_{target}"
            build = getattr(backend, hook, None)
            if kind == "metadata" and hasattr(backend, "prepare_metadata_for_build_wheel"):
                hook = "prepare_metadata_for_build_wheel"
                build = backend.prepare_metadata_for_build_wheel
            if build is None:
                _send(channel, {"error": "hook_missing", "hook": hook, "message": hook})
                return 1
            name = build(request["out"], None)
            _send(channel, {"built": kind, "file": os.path.basename(name)})
    except BaseException as error:
        traceback.print_exc()
        message = f"{type(error).__name__}: {error}"
        _send(channel, {"error": "failed", "hook": hook, "message": message})
        return 1
    _send(channel, {"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
