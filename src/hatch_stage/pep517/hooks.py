"""Calling a build backend's PEP 517 hooks in another interpreter, through ``_driver.py``.

One process builds every kind asked for; before each build the caller is asked whether the
environment has what the backend's ``get_requires_for_build_*`` names, so a missing dynamic
requirement stops the run (to be installed and the run repeated) instead of failing deep
inside the backend. The backend's output is kept as a log, shown (its tail) only on failure,
so ``--json`` output and hook output stay clean.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .buildsystem import BuildSystem
from .requirements import Unmet

DRIVER = Path(__file__).with_name("_driver.py")
LOG_LINES = 30


class HookError(Exception):
    """The backend could not be imported, lacks a hook, or failed in one."""

    def __init__(self, what: str, hook: str, message: str, log: str) -> None:
        super().__init__(message)
        #: "backend_unavailable", "hook_missing", "failed" or "crashed"
        self.what = what
        self.hook = hook
        self.message = message
        #: the last lines of the backend's output
        self.log = log


@dataclass
class HookRun:
    """What one run of the driver produced."""

    #: kind ("sdist", "wheel") -> the built file
    built: dict[str, Path] = field(default_factory=dict)
    #: requirements the backend asked for that the environment lacks; the run stopped there
    missing: list[Unmet] = field(default_factory=list)


def _tail(log: IO[bytes], lines: int = LOG_LINES) -> str:
    log.seek(0)
    text = log.read().decode("utf-8", errors="replace")
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _reply(process: subprocess.Popen[str], message: Mapping[str, Any]) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()
    except (BrokenPipeError, OSError):
        pass  # it died; its exit status and log say why


def run_backend(
    python: str,
    root: Path,
    system: BuildSystem,
    kinds: Sequence[str],
    out: Path,
    environ: Mapping[str, str],
    unmet: Callable[[list[str]], list[Unmet]],
    timeout: float | None = None,
) -> HookRun:
    """Build ``kinds`` of the project at ``root`` into ``out`` with ``python``'s backend.

    :param unmet: what of a list of requirements the environment lacks
    :param timeout: seconds after which the build is stopped; None lets it run
    :raises HookError: the backend failed or ran out of time; its log tail is attached
    """
    out.mkdir(parents=True, exist_ok=True)
    request = {"backend": system.backend, "backend_path": list(system.backend_path),
               "kinds": list(kinds), "out": str(out)}
    result = HookRun()
    error: dict[str, str] | None = None
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [python, str(DRIVER)], cwd=root, env=dict(environ), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=log, text=True, encoding="utf-8", errors="replace",
        )
        assert process.stdout is not None
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            process.kill()

        timer = threading.Timer(timeout, expire) if timeout is not None else None
        if timer is not None:
            timer.start()
        try:
            _reply(process, request)
            for line in process.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if "requires" in message:
                    result.missing = unmet([str(item) for item in message["list"]])
                    _reply(process, {"go": not result.missing})
                elif "built" in message:
                    result.built[message["built"]] = out / message["file"]
                elif "error" in message:
                    error = message
            if process.stdin is not None:
                process.stdin.close()
            status = process.wait()
        finally:
            if timer is not None:
                timer.cancel()
        if expired.is_set():
            raise HookError("failed", "", f"the build ran longer than {timeout:.0f} s and was "
                            "stopped", _tail(log))
        if error is not None:
            raise HookError(error["error"], error.get("hook", ""), error.get("message", ""),
                            _tail(log))
        if status != 0:
            raise HookError("crashed", "", f"the build process exited with status {status}",
                            _tail(log))
    return result
