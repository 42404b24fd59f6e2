"""Precision of the secret gate on real, clean releases nobody here wrote.

Downloads the latest sdist and one wheel of each of 40 popular packages from the public index
(``benchmarks/_pypi.py``: the simple API, cached in ``~/.cache/hatch-stage/bench``, checked
against the index's sha256), then runs the dry run's scan on each release, the way
``hatch-stage publish --dry-run`` does on prebuilt files, and prints:

- how many releases the default gate blocks, and how many ``--strict`` blocks;
- the findings per rule and confidence;
- for each blocked release, the findings that block it (masked).

Every package here is clean: a block is a false alarm. The README ("Secrets") explains each one
that remains.

    .venv/bin/python benchmarks/precision.py [NAME ...] [--cache DIR] [--show N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from _pypi import POPULAR, cache_dir, client, latest_release


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=POPULAR, help="packages (default: the 40)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="where downloads are kept (default: benchmarks/_pypi.py's cache)")
    parser.add_argument("--show", type=int, default=5, help="blocking findings shown per release")
    parser.add_argument("--download-only", action="store_true")
    args = parser.parse_args(argv)

    releases: dict[str, tuple[str, list[Path]]] = {}
    with client() as http:
        for name in args.names:
            release = latest_release(name, http, args.cache or cache_dir())
            files = [release.sdist] + ([release.wheel] if release.wheel else [])
            releases[name] = (release.version, files)
    if args.download_only:
        for name, (version, paths) in releases.items():
            print(name, version, *(p.name for p in paths))
        return 0
    return report(releases, args.show)


def report(releases: dict[str, tuple[str, list[Path]]], show: int) -> int:
    from hatch_stage.inspection import blocking, inspect_release
    from hatch_stage.models import Artifact

    per_rule: Counter[tuple[str, str, str]] = Counter()
    blocked_default: dict[str, list[object]] = {}
    blocked_strict = 0
    total_findings = 0
    started = time.perf_counter()
    for name, (version, paths) in releases.items():
        artifacts = [Artifact.from_path(path) for path in paths]
        inspection = inspect_release(artifacts)
        findings = inspection.findings
        total_findings += len(findings)
        for finding in findings:
            per_rule[(finding.confidence, finding.rule, finding.type)] += 1
        if blocking(findings, strict=True):
            blocked_strict += 1
        blockers = blocking(findings)
        if blockers:
            blocked_default[f"{name} {version}"] = list(blockers)
        for note in inspection.notes:
            print(f"note: {name} {version}: {note.message}")
    elapsed = time.perf_counter() - started

    count = len(releases)
    print(f"releases: {count} (sdist + wheel each), scanned in {elapsed:.1f} s")
    print(f"findings: {total_findings}")
    print(f"blocked by default: {len(blocked_default)} of {count}")
    print(f"blocked with --strict: {blocked_strict} of {count}")
    print("\nfindings per confidence, rule and type:")
    for (confidence, rule, kind), number in sorted(per_rule.items(),
                                                   key=lambda item: (item[0][0], -item[1])):
        print(f"  {number:6d}  {confidence:4}  {rule:32} {kind}")
    for release, findings in blocked_default.items():
        print(f"\nblocked: {release}")
        for finding in findings[:show]:
            print(f"  {finding.artifact} {finding.member}:{finding.line} {finding.type} "  # type: ignore[attr-defined]
                  f"{finding.masked} [{finding.rule}]")  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
