"""Precision of the secret gate on real, clean releases nobody here wrote.

Downloads the latest sdist and one wheel of each of 40 popular packages from the public index
(PyPI's JSON API; cached in ``~/.cache/hatch-stage/bench``, checked against the index's
sha256), then runs the dry run's scan on each release, the way ``hatch-stage publish --dry-run``
does on prebuilt files, and prints:

- how many releases the default gate blocks, and how many ``--strict`` blocks;
- the findings per rule and confidence;
- for each blocked release, the findings that block it (masked).

Every package here is clean: a block is a false alarm. The README ("Secrets") explains each one
that remains.

    .venv/bin/python benchmarks/precision.py [NAME ...] [--cache DIR] [--show N]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urljoin

import httpx2
from _pypi import POPULAR

INDEX = "https://pypi.org/pypi/{name}/json"
DEFAULT_CACHE = Path.home() / ".cache" / "hatch-stage" / "bench"
#: the wheel tags this machine would install, best first (pure wheels first)
WHEEL_PREFERENCE = ("py3-none-any", "py2.py3-none-any", "cp311-cp311-manylinux", "cp311-abi3",
                    "cp39-abi3", "cp38-abi3", "cp37-abi3", "manylinux")


def _get(client: httpx2.Client, url: str) -> httpx2.Response:
    """GET with a few retries on connection errors and 5xx (a public index has bad moments)."""
    for attempt in range(4):
        try:
            response = client.get(url)
            if response.status_code < 500:
                response.raise_for_status()
                return response
        except httpx2.TransportError:
            if attempt == 3:
                raise
        time.sleep(0.5 * 2**attempt)
    response.raise_for_status()
    return response


def _wheel_rank(filename: str) -> int:
    for rank, tag in enumerate(WHEEL_PREFERENCE):
        if tag in filename and ("x86_64" in filename or "none-any" in filename):
            return rank
    return len(WHEEL_PREFERENCE)


def _download(client: httpx2.Client, url: str, digest: str, target: Path) -> Path:
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
        return target
    partial = target.with_name(target.name + ".part")
    with client.stream("GET", url) as response, partial.open("wb") as out:
        response.raise_for_status()
        sha = hashlib.sha256()
        for chunk in response.iter_bytes(1 << 20):
            sha.update(chunk)
            out.write(chunk)
    if sha.hexdigest() != digest:
        partial.unlink()
        raise SystemExit(f"{target.name}: sha256 does not match the index")
    partial.replace(target)
    return target


def latest_release(client: httpx2.Client, name: str, cache: Path) -> tuple[str, list[Path]]:
    """The latest version's sdist and best wheel for this machine, downloaded into ``cache``."""
    answer = _get(client, INDEX.format(name=name))
    document = answer.json()
    version = document["info"]["version"]
    files = [f for f in document["urls"] if not f.get("yanked")]
    sdists = [f for f in files if f["packagetype"] == "sdist"]
    wheels = sorted((f for f in files if f["packagetype"] == "bdist_wheel"),
                    key=lambda f: _wheel_rank(f["filename"]))
    chosen = sdists[:1] + wheels[:1]
    folder = cache / name
    folder.mkdir(parents=True, exist_ok=True)
    # file URLs may be relative to the JSON document (as a mirror of the index serves them)
    paths = [_download(client, urljoin(str(answer.url), f["url"]), f["digests"]["sha256"],
                       folder / f["filename"]) for f in chosen]
    return version, paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=POPULAR, help="packages (default: the 40)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--show", type=int, default=5, help="blocking findings shown per release")
    parser.add_argument("--download-only", action="store_true")
    args = parser.parse_args(argv)

    releases: dict[str, tuple[str, list[Path]]] = {}
    with httpx2.Client(timeout=httpx2.Timeout(60, connect=15), follow_redirects=True) as client:
        for name in args.names:
            releases[name] = latest_release(client, name, args.cache)
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
