"""The README's main job: ``bash scripts/demo`` takes the sample project through the whole
lifecycle on the embedded default and ends with the approved release installed by pip."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_demo_runs_the_whole_lifecycle_and_installs_the_release(tmp_path: Path) -> None:
    # the demo keeps its store in a temp dir of its own; HOME here proves it needs nothing else
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("HATCH_STAGE_HOME", None)
    done = subprocess.run(["bash", str(REPO / "scripts" / "demo")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for step in ("would stage sample-pkg 1.2.0", "staged as", "hatch-stage list",
                 "downloaded", "not installable (as it should be)", "approved: now live",
                 "installed sample-pkg 1.2.0 -> hello, world",
                 # previews point where `hatch-stage serve` answers, not at the in-process port
                 "preview     http://127.0.0.1:8694/stage/"):
        assert step in output, step
    assert not (tmp_path / ".local").exists(), "the user's own store was not touched"
