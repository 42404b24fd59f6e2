"""``hatch-stage diff``'s comparison on two consecutive Django releases (sdist and wheel).

The four files are downloaded from the public index (PEP 691 JSON, sha256 checked) into a
cache (``~/.cache/hatch-stage/bench``) on the first run. Then, each in a fresh child process,
best of ``--repeat`` runs taking turns, in the same run:

- the floor: reading the same four archives once, every member decompressed, with the
  standard library's zipfile and tarfile and nothing else (no bounds, no hashing);
- the diff: :func:`hatch_stage.diff.compare_releases` with every built-in review rule;
- the diff with text diffs (``diff --files``).

Prints wall time and peak memory of each, and the ratios to the floor. Goals: the diff at
most 2x the floor's time, and under 150 MiB (``--files`` is shown beside it: it reads the
earlier side of changed text members a second time, or keeps it compressed in memory).

    .venv/bin/python benchmarks/diff.py [--old 6.1.2 --new 6.1.3] [--cache DIR] [--repeat 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import httpx2
from _harness import Run, measure, ratio

PROJECT = "django"
INDEX = f"https://pypi.org/simple/{PROJECT}/"
DEFAULT_CACHE = Path.home() / ".cache" / "hatch-stage" / "bench"
GOAL_RATIO = 2.0
GOAL_MIB = 150


def fetch(version: str, cache: Path) -> list[Path]:
    """The sdist and the pure-Python wheel of ``version``, from the cache or the index."""
    cache.mkdir(parents=True, exist_ok=True)
    page = cache / f"{PROJECT}-simple.json"
    if not page.exists() or version not in page.read_text():
        response = httpx2.get(INDEX, headers={"Accept": "application/vnd.pypi.simple.v1+json"},
                              timeout=60, follow_redirects=True)
        response.raise_for_status()
        page.write_text(response.text)
    files = [entry for entry in json.loads(page.read_text())["files"]
             if entry["filename"] in (f"{PROJECT}-{version}.tar.gz",
                                      f"{PROJECT}-{version}-py3-none-any.whl")]
    if len(files) != 2:
        raise SystemExit(f"{PROJECT} {version}: no sdist and wheel on the index")
    paths = []
    for entry in files:
        target = cache / entry["filename"]
        expected = entry["hashes"]["sha256"]
        if not target.exists() or hashlib.sha256(target.read_bytes()).hexdigest() != expected:
            print(f"downloading {entry['filename']}", file=sys.stderr)
            response = httpx2.get(entry["url"], timeout=120, follow_redirects=True)
            response.raise_for_status()
            if hashlib.sha256(response.content).hexdigest() != expected:
                raise SystemExit(f"{entry['filename']}: sha256 does not match the index")
            target.write_bytes(response.content)
        paths.append(target)
    return sorted(paths, key=lambda path: not path.name.endswith(".tar.gz"))


def read_once(path: Path) -> int:
    """Decompress every member of an archive once; the bytes read."""
    size = 0
    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                size += len(archive.read(info))
        return size
    with tarfile.open(path) as archive:
        for member in archive:
            stream = archive.extractfile(member)
            if stream is not None:
                size += len(stream.read())
    return size


def child(mode: str, old: list[str], new: list[str]) -> None:
    """What one measured process does; prints a one-line summary."""
    from hatch_stage.config import Config
    from hatch_stage.models import Artifact

    config = Config()
    staged = [Artifact.from_path(Path(path)) for path in new]
    previous = [Artifact.from_path(Path(path)) for path in old]
    if mode == "floor":
        size = sum(read_once(artifact.path) for artifact in (*previous, *staged))
        print(f"read {size / 2**20:.0f} MiB uncompressed")
        return
    from hatch_stage.diff import DiffLimits, compare_releases
    from hatch_stage.plugins import plugin_manager
    from hatch_stage.reviewing import PluginRules

    diff = compare_releases(staged, previous, target="python", name=PROJECT,
                            version="new", against="old",
                            rules=PluginRules(plugin_manager(), config), limits=config.limits,
                            text_diffs=DiffLimits() if mode == "files" else None)
    counts = diff.counts()
    print(f"{counts['files_changed']} changed, {counts['files_added']} added, "
          f"{counts['files_removed']} removed, {counts['flags']} flags")


def best_of(commands: dict[str, list[str]], repeat: int) -> dict[str, tuple[Run, int]]:
    """Each command's fastest run and highest peak; the commands take turns, so a machine
    busy with something else slows them alike."""
    runs: dict[str, list[Run]] = {mode: [] for mode in commands}
    for _ in range(repeat):
        for mode, command in commands.items():
            runs[mode].append(measure(command).check(mode))
    return {mode: (min(found, key=lambda run: run.seconds), max(run.peak_kib for run in found))
            for mode, found in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="6.1.2")
    parser.add_argument("--new", default="6.1.3")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=("floor", "diff", "files"), help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        half = len(args.files) // 2
        child(args.child, args.files[:half], args.files[half:])
        return

    old, new = fetch(args.old, args.cache), fetch(args.new, args.cache)
    compressed = sum(path.stat().st_size for path in (*old, *new)) / 2**20
    print(f"{PROJECT} {args.old} -> {args.new}: {', '.join(p.name for p in (*old, *new))} "
          f"({compressed:.1f} MiB compressed)")
    started = time.perf_counter()
    results = best_of({mode: [sys.executable, __file__, "--child", mode, "--files",
                               *map(str, old), *map(str, new)]
                       for mode in ("floor", "diff", "files")}, args.repeat)
    floor_run, floor_peak = results["floor"]
    print(f"{'':<22}{'seconds':>9}{'vs floor':>10}{'peak MiB':>10}{'vs floor':>10}")
    for mode, label in (("floor", "floor (read once)"), ("diff", "diff"),
                        ("files", "diff --files")):
        run, peak = results[mode]
        print(f"{label:<22}{run.seconds:>9.2f}{ratio(run.seconds, floor_run.seconds):>10}"
              f"{peak / 1024:>10.1f}{ratio(peak, floor_peak):>10}   {run.stdout.strip()}")
    diff_run, diff_peak = results["diff"]
    ok = diff_run.seconds <= GOAL_RATIO * floor_run.seconds and diff_peak / 1024 < GOAL_MIB
    print(f"goal for diff (<= {GOAL_RATIO:.0f}x the floor's time, < {GOAL_MIB} MiB): "
          f"{'met' if ok else 'NOT met'}  [{time.perf_counter() - started:.0f} s in all]")


if __name__ == "__main__":
    main()
