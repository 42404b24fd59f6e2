"""How long ``hatch-stage check`` takes as a pre-commit hook on a small project.

Copies ``tests/fixtures/projects/sample`` into a temporary git repository and times, in the
same run, ``--repeat`` times each (after one untimed warm-up):

- ``python -c pass``: the interpreter's own start-up, the floor of any Python hook;
- ``hatchling build`` of the sdist and wheel: the baseline. ``check`` must build exactly
  these two files before it can scan and score them, so this is the least a check of what
  ships can cost; check/build shows what start-up, scan and score add on top;
- ``hatch-stage check``: the hook's command, run directly. Its scan cache (a scratch one) is
  warm after the warm-up, as on every commit that leaves files unchanged;
- ``hatch-stage check`` with the scan cache off (``HATCH_STAGE_SCAN_CACHE=0``): every member
  scanned, as on a first run or when every file changed;
- ``pre-commit run --all-files`` with a ``repo: local`` hook whose entry is this venv's
  ``hatch-stage check`` (``language: system``, so no hook environment is built or timed);
- ``pre-commit run --all-files`` with a no-op local hook: pre-commit's own cost.

Prints min and median of each with ratios against the build, and exits non-zero when
``check`` takes more than ``--max-check`` (2) times the build, the pre-commit run more than
``--max-hook`` (2.5) times it, or the pre-commit run ``--budget`` seconds (2) or more.

    .venv/bin/python benchmarks/check.py [--repeat 5] [--budget 2.0] [--max-check 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from _harness import BIN, HATCH_STAGE, measure, ratio, scratch

# an installed package has its bytecode compiled at install time: let the warm-up write it
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "projects" / "sample"

HOOKS = """\
repos:
  - repo: local
    hooks:
      - id: hatch-stage-check
        name: hatch-stage check
        entry: {hatch_stage} check
        language: system
        pass_filenames: false
        always_run: true
        require_serial: true
"""

NO_OP = """\
repos:
  - repo: local
    hooks:
      - id: no-op
        name: no-op
        entry: "true"
        language: system
        pass_filenames: false
        always_run: true
"""


def git_repository(directory: Path) -> Path:
    """The sample project as the top of a git repository, every file added."""
    shutil.copytree(SAMPLE, directory)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=directory, check=True)
    subprocess.run([*git, "add", "-A"], cwd=directory, check=True)
    return directory


def times(command: Sequence[str], cwd: Path, repeat: int, env: dict[str, str]) -> list[float]:
    """Wall times of ``repeat`` successful runs, after one untimed warm-up."""
    measure(command, env=env, cwd=cwd).check(" ".join(command))
    return [measure(command, env=env, cwd=cwd).check(" ".join(command)).seconds
            for _ in range(repeat)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each command")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="fail when the pre-commit run's median reaches this many seconds")
    parser.add_argument("--max-check", type=float, default=2.0,
                        help="fail when check's median exceeds this times the build's")
    parser.add_argument("--max-hook", type=float, default=2.5,
                        help="fail when the pre-commit run's median exceeds this times the "
                             "build's")
    options = parser.parse_args()

    with scratch() as workdir:
        project = git_repository(workdir / "sample")
        config, no_op = workdir / "hatch-stage-check.yaml", workdir / "no-op.yaml"
        config.write_text(HOOKS.format(hatch_stage=HATCH_STAGE))
        no_op.write_text(NO_OP)
        env = {"PRE_COMMIT_HOME": str(workdir / "pre-commit-home"),
               "HATCH_STAGE_CACHE_DIR": str(workdir / "hatch-stage-cache")}
        pre_commit = [str(BIN / "pre-commit"), "run", "--all-files", "--config"]
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], {}),
            "hatchling build (baseline)": ([str(BIN / "hatchling"), "build",
                                            "-d", str(workdir / "dist")], {}),
            "hatch-stage check": ([HATCH_STAGE, "check"], {}),
            "hatch-stage check, no scan cache": ([HATCH_STAGE, "check"],
                                                 {"HATCH_STAGE_SCAN_CACHE": "0"}),
            "pre-commit, hatch-stage check": ([*pre_commit, str(config)], {}),
            "pre-commit, no-op hook": ([*pre_commit, str(no_op)], {}),
        }
        results = {}
        for label, (command, extra) in commands.items():
            print(f"timing {label} ...", file=sys.stderr)
            results[label] = times(command, project, options.repeat, {**env, **extra})
            shutil.rmtree(workdir / "dist", ignore_errors=True)

    print(f"{'command':<36}{'min s':>8}{'median s':>10}")
    for label, seconds in results.items():
        print(f"{label:<36}{min(seconds):>8.3f}{statistics.median(seconds):>10.3f}")
    median = {label: statistics.median(seconds) for label, seconds in results.items()}
    check, hook = median["hatch-stage check"], median["pre-commit, hatch-stage check"]
    build = median["hatchling build (baseline)"]
    print(f"({options.repeat} timed runs each, after one warm-up; medians)")
    print(f"check / hatchling build:          {ratio(check, build)} "
          f"(goal: at most {options.max_check}x)")
    print(f"pre-commit run / hatchling build: {ratio(hook, build)} "
          f"(goal: at most {options.max_hook}x)")
    print(f"check, no scan cache / build:     "
          f"{ratio(median['hatch-stage check, no scan cache'], build)}")
    print(f"check / python start-up:          {ratio(check, median['python -c pass'])}")
    print(f"pre-commit overhead (no-op hook): {median['pre-commit, no-op hook']:.3f} s")
    print(f"pre-commit run of check / budget: {hook:.3f} s / {options.budget:.1f} s "
          f"= {hook / options.budget:.0%}")
    held = (hook < options.budget and check <= options.max_check * build
            and hook <= options.max_hook * build)
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
