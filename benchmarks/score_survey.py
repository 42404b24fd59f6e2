"""What 40 popular, well-kept packages earn on each quality check: the evidence behind the
checks' points (README, "Quality score").

Downloads the latest sdist and wheel of each package (cached, see ``_pypi.py``), scores them
exactly as ``hatch-stage check`` does (``hatch_stage.inspection.score_python``) and prints, per
check, how many of them pass, earn part of the points, or fail, then each package's score and
the project URL labels no well-known kind matched. A check most of these packages fail is
measuring a habit, not quality; its points should be few.

    .venv/bin/python benchmarks/score_survey.py [NAME ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter

from _pypi import POPULAR, client, latest_release

from hatch_stage.config import ScanLimits
from hatch_stage.inspection import score_python
from hatch_stage.models import Artifact
from hatch_stage.scoring import RULES, label_kind, read_shipped
from hatch_stage.scoring.urls import url_kind


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=POPULAR)
    args = parser.parse_args()
    outcomes: dict[str, Counter[str]] = {rule.name: Counter() for rule in RULES}
    failing: dict[str, list[str]] = {rule.name: [] for rule in RULES}
    scores: dict[str, int] = {}
    unmatched: Counter[str] = Counter()
    limits = ScanLimits()
    with client() as http:
        for name in args.names:
            release = latest_release(name, http)
            artifacts = [Artifact(release.sdist, "sdist")]
            if release.wheel is not None:
                artifacts.append(Artifact(release.wheel, "wheel"))
            checks = score_python(artifacts, limits)
            earned = sum(check.points for check in checks)
            scores[f"{name} {release.version}"] = 100 * earned // sum(c.max_points for c in checks)
            for check in checks:
                outcome = "pass" if check.passed else "part" if check.points else "fail"
                outcomes[check.name][outcome] += 1
                if not check.passed:
                    failing[check.name].append(name)
            shipped = read_shipped(artifacts, limits)
            unmatched.update(label for label, url in shipped.project_urls.items()
                             if label_kind(label) is None and url_kind(url) is None)
    count = len(scores)
    print(f"{'check':<16} {'points':>6} {'pass':>5} {'part':>5} {'fail':>5}  not passing")
    for rule in RULES:
        seen = outcomes[rule.name]
        print(f"{rule.name:<16} {rule.points:>6} {seen['pass']:>5} {seen['part']:>5} "
              f"{seen['fail']:>5}  {' '.join(failing[rule.name])}")
    print(f"\nscores of {count} packages: median {statistics.median(scores.values())}, "
          f"lowest {min(scores.values())}")
    for label, score in sorted(scores.items(), key=lambda item: item[1]):
        print(f"  {score:>3}  {label}")
    print("\nproject URL labels no well-known kind matched:",
          ", ".join(f"{label} ({n})" for label, n in unmatched.most_common()) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
