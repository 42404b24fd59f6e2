"""How long the command line takes to start: ``hatch-stage`` next to ``hatch`` and ``twine``.

Times, in the same run, ``--version`` and ``--help`` of each (this venv's entry points, after
one untimed warm-up each, ``--repeat`` times), and ``python -c pass`` as the floor of any
Python command line. Prints min and median of each and hatch-stage's ratios to hatch and
twine; exits non-zero when hatch-stage's median is above hatch's for either.

Bytecode is written on the warm-up (``PYTHONDONTWRITEBYTECODE`` is dropped): an installed
package has its bytecode compiled at install time, and so do hatch and twine here.

    .venv/bin/python benchmarks/start.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from _harness import BIN, HATCH_STAGE, measure, ratio

os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed runs of each command")
    options = parser.parse_args()
    programs = {"hatch-stage": HATCH_STAGE, "hatch": str(BIN / "hatch"),
                "twine": str(BIN / "twine")}
    medians: dict[str, float] = {}
    print(f"{'command':<26}{'min s':>8}{'median s':>10}")
    rows = [("python -c pass", [sys.executable, "-c", "pass"])]
    rows += [(f"{name} {flag}", [path, flag]) for flag in ("--version", "--help")
             for name, path in programs.items()]
    for label, command in rows:
        measure(command).check(label)  # warm-up: bytecode, page cache
        seconds = [measure(command).check(label).seconds for _ in range(options.repeat)]
        medians[label] = statistics.median(seconds)
        print(f"{label:<26}{min(seconds):>8.3f}{medians[label]:>10.3f}")
    held = True
    for flag in ("--version", "--help"):
        ours = medians[f"hatch-stage {flag}"]
        for other in ("hatch", "twine"):
            print(f"hatch-stage {flag} / {other} {flag}: {ratio(ours, medians[f'{other} {flag}'])}")
        held = held and ours <= medians[f"hatch {flag}"]
    print(f"({options.repeat} timed runs each; goal: hatch-stage at or below hatch)")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
