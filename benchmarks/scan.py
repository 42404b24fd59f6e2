"""The dry run of real sdists next to its floor and to ``detect-secrets scan``, in one run.

Downloads the sdists with ``pip download`` (cached in ``.bench/sdists``; Django 5.2 by
default) and times, each in a fresh interpreter, from the command line to its exit:

- the floor: one read of every member of every sdist (decompressed once, decoded as UTF-8
  where it is text) and one pass of one compiled regex over the text, the quoted runs of
  base64 characters every secret scanner looks for (:data:`FLOOR_PATTERN`). No scanner can
  do less than read what ships;
- the dry run, ``hatch-stage check SDIST ... --json`` in an empty directory: pack (the given
  files), rewrite, blocked files, secret scan (on every core once the release is large) and
  score, as ``publish --dry-run`` and the pre-commit hook run them; once in the default mode
  and once with ``HATCH_STAGE_SCAN_MODE=exact``, which must find exactly what detect-secrets
  finds;
- ``detect-secrets --cores N scan --all-files --no-verify`` on the unpacked files, N being
  every core this process may use (detect-secrets' own parallel mode).

``--no-verify`` keeps detect-secrets from sending the secrets it finds to AWS, Slack, Stripe...
to check them; hatch-stage never does that. The floor and the dry runs are run ``--repeat``
times and their fastest run is used (the machine may be shared); detect-secrets, which takes
minutes, once. Prints the times, the ratios dry run/floor and detect-secrets/dry run, and
whether the exact mode found exactly the same secrets, compared as (path inside the sdist,
line, type, hashed secret). Exits non-zero if the findings differ, the dry run takes more
than ``--max-floor`` (3) times the floor, or it is less than ``--min-speedup`` (30) times
faster than detect-secrets.

    .venv/bin/python benchmarks/scan.py [SPEC ...] [--cache DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from _harness import BIN, HATCH_STAGE, Run, measure, ratio, scratch
from packaging.utils import canonicalize_name, parse_sdist_filename

# an installed package has its bytecode compiled at install time: let the first run write it
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# every member is scanned in every timed run: a scan cache warmed by an earlier run is off
os.environ["HATCH_STAGE_SCAN_CACHE"] = "0"

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPECS = ("django==5.2",)
#: the floor's one regex: a quoted run of base64 characters long enough to be a secret
FLOOR_PATTERN = r"""(['"])[A-Za-z0-9+/=_-]{20,}\1"""
FLOOR = f"""\
import re, sys, tarfile
pattern = re.compile({FLOOR_PATTERN!r})
found = 0
for path in sys.argv[1:]:
    with tarfile.open(path) as archive:
        for info in archive:
            if not info.isfile():
                continue
            data = archive.extractfile(info).read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            found += sum(1 for _ in pattern.finditer(text))
print(found)
"""

Key = tuple[str, int, str, str]


def sdist_for(spec: str, cache: Path) -> Path:
    """The cached sdist of ``name==version``, downloaded by pip when missing."""
    name, version = spec.split("==")
    wanted = (canonicalize_name(name), version)
    for path in cache.glob("*.tar.gz"):
        found_name, found_version = parse_sdist_filename(path.name)
        if (canonicalize_name(found_name), str(found_version)) == wanted:
            return path
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         "--quiet", "--dest", str(cache), spec],
        check=True,
    )
    return sdist_for(spec, cache)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def detect_secrets(workdir: Path, tops: list[str]) -> tuple[set[Key], Run]:
    run = measure([str(BIN / "detect-secrets"), "--cores", str(cores()), "scan", "--all-files",
                   "--no-verify", *tops], cwd=workdir).check("detect-secrets scan")
    found = {
        (path, secret["line_number"], secret["type"], secret["hashed_secret"])
        for path, secrets in json.loads(run.stdout)["results"].items()
        for secret in secrets
    }
    return found, run


def dry_run(sdists: list[Path], workdir: Path, mode: str) -> tuple[set[Key], Run]:
    """``hatch-stage check`` of the sdists; its secret findings as detect-secrets keys them."""
    run = measure([HATCH_STAGE, "check", *map(str, sdists), "--json"],
                  env={"HATCH_STAGE_SCAN_MODE": mode}, cwd=workdir)
    if run.returncode not in (0, 1):  # 1: findings block the release, as they may
        run.check(f"hatch-stage check ({mode})")
    report = json.loads(run.stdout)
    found = {
        (f["member"], f["line"] or 0, f["type"], f["hashed_secret"])
        for f in report["findings"]
        if f.get("plugin") == "detect-secrets"
    }
    return found, run


def fastest(runs: list[Run]) -> Run:
    return min(runs, key=lambda run: run.seconds)


def unpack(sdists: list[Path], into: Path) -> tuple[list[str], int, int]:
    """Extract for detect-secrets; returns the top directories, file count and bytes."""
    tops: set[str] = set()
    files = size = 0
    for sdist in sdists:
        with tarfile.open(sdist) as archive:
            members = archive.getmembers()
            archive.extractall(into, filter="data")
        for member in members:
            tops.add(member.name.split("/", 1)[0])
            if member.isfile():
                files += 1
                size += member.size
    return sorted(tops), files, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="*", default=list(DEFAULT_SPECS), help="name==version")
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench" / "sdists")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the floor and dry runs")
    parser.add_argument("--max-floor", type=float, default=3.0,
                        help="fail when the dry run takes more than this times the floor")
    parser.add_argument("--min-speedup", type=float, default=30.0,
                        help="fail when the dry run is not this many times faster than "
                             "detect-secrets")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    sdists = [sdist_for(spec, args.cache) for spec in args.specs]

    with scratch() as workdir:
        empty = workdir / "empty"
        empty.mkdir()
        print("timing the floor and the dry runs ...", file=sys.stderr)
        floor = fastest([measure([sys.executable, "-c", FLOOR, *map(str, sdists)])
                         .check("the floor") for _ in range(args.repeat)])
        start = fastest([measure([sys.executable, "-c", "pass"]) for _ in range(args.repeat)])
        default_runs = [dry_run(sdists, empty, "default") for _ in range(args.repeat)]
        exact_runs = [dry_run(sdists, empty, "exact") for _ in range(args.repeat)]
        found, fast = default_runs[0][0], fastest([run for _, run in default_runs])
        ours, exact = exact_runs[0][0], fastest([run for _, run in exact_runs])
        print("running detect-secrets (minutes) ...", file=sys.stderr)
        unpacked = workdir / "unpacked"
        tops, files, size = unpack(sdists, unpacked)
        theirs, slow = detect_secrets(unpacked, tops)

    megabytes = size / 1e6
    print(f"sdists: {', '.join(p.name for p in sdists)}: {files} files, "
          f"{megabytes:.1f} MB unpacked; {cores()} cores; fastest of {args.repeat} runs")
    print(f"{'':52}{'wall s':>8}{'peak MiB':>10}")
    for label, run in (
        ("python -c pass (interpreter start-up)", start),
        ("floor: one read + one regex pass", floor),
        ("hatch-stage check, default mode (dry run)", fast),
        ("hatch-stage check, exact mode", exact),
        (f"detect-secrets --cores {cores()} scan --all-files", slow),
    ):
        print(f"{label:52}{run.seconds:>8.2f}{run.peak_kib / 1024:>10.1f}")
    print(f"dry run / floor:              {ratio(fast.seconds, floor.seconds)} "
          f"(goal: at most {args.max_floor}x)")
    print(f"exact dry run / floor:        {ratio(exact.seconds, floor.seconds)}")
    print(f"detect-secrets / dry run:     {ratio(slow.seconds, fast.seconds)} "
          f"(goal: at least {args.min_speedup}x)")
    print(f"detect-secrets / exact run:   {ratio(slow.seconds, exact.seconds)}")
    print(f"default mode: {len(found)} secret findings (low-confidence ones included)")
    held = (fast.seconds <= args.max_floor * floor.seconds
            and slow.seconds >= args.min_speedup * fast.seconds)
    if ours == theirs:
        print(f"findings, exact mode: identical ({len(ours)} secrets)")
        return 0 if held else 1
    print(f"findings, exact mode: DIFFERENT ({len(theirs)} by detect-secrets, {len(ours)} by "
          "hatch-stage)")
    differences = (("only detect-secrets", theirs - ours), ("only hatch-stage", ours - theirs))
    for label, keys in differences:
        for path, line, kind, digest in sorted(keys)[:10]:
            print(f"  {label}: {path}:{line} {kind} {digest}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
