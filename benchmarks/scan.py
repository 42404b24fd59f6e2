"""hatch-stage's secret scanner against ``detect-secrets scan`` on real sdists.

Downloads a few sdists with ``pip download`` (cached in ``.bench/sdists``), unpacks them into a
temporary directory for detect-secrets, then times, in the same run:

- ``detect-secrets scan --all-files --no-verify <sdist dirs>`` (a subprocess from this venv);
- hatch-stage's scan over the sdist archives themselves, read in memory (this process;
  importing detect-secrets is part of the first time): in the default mode, with the provider
  and credential-file detectors on, and in the exact mode, which must find exactly what
  detect-secrets finds;
- one small project's build and scan in a fresh interpreter, as a pre-commit run does.

``--no-verify`` keeps detect-secrets from sending the secrets it finds to AWS, Slack, Stripe...
to check them; hatch-stage never does that. Offline, ``--all-files`` alone reports the same.

Prints the times, the ratios, the megabytes scanned and whether the exact mode found exactly the
same secrets, compared as (path inside the sdist, line, type, hashed secret). Exits non-zero if
not, or if the default mode is less than 20 times faster than detect-secrets.

    .venv/bin/python benchmarks/scan.py [SPEC ...] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPECS = ("rich==13.9.4", "requests==2.32.3", "django==5.1.4")
DETECT_SECRETS = str(Path(sys.executable).with_name("detect-secrets"))
#: how much faster than detect-secrets the default scan must be
GOAL = 20

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


def detect_secrets_findings(workdir: Path, tops: list[str]) -> tuple[set[Key], float]:
    started = time.perf_counter()
    completed = subprocess.run(
        [DETECT_SECRETS, "scan", "--all-files", "--no-verify", *tops],
        cwd=workdir, capture_output=True, text=True, check=True,
    )
    elapsed = time.perf_counter() - started
    results = json.loads(completed.stdout)["results"]
    found = {
        (path, secret["line_number"], secret["type"], secret["hashed_secret"])
        for path, secrets in results.items()
        for secret in secrets
    }
    return found, elapsed


def hatch_stage_findings(sdists: list[Path], *, exact: bool) -> tuple[set[Key], float]:
    """hatch-stage's scan of the sdist archives, in memory; imports count on the first call."""
    started = time.perf_counter()
    from hatch_stage.config import ScanLimits
    from hatch_stage.inspection import scan_secrets
    from hatch_stage.models import Artifact

    artifacts = [Artifact(path, "sdist") for path in sdists]
    findings = scan_secrets(artifacts, ScanLimits(), exact=exact).findings
    elapsed = time.perf_counter() - started
    return {(f.member, f.line or 0, f.type, f.hashed_secret) for f in findings}, elapsed


def small_project_check() -> float:
    """Build and scan the sample project in a fresh interpreter, imports included, as one
    pre-commit run would; the wall time in seconds."""
    import shutil

    script = (
        "import sys; from pathlib import Path\n"
        "from hatch_stage.plugins.python_pack import build\n"
        "from hatch_stage.config import ScanLimits\n"
        "from hatch_stage.inspection import scan_secrets\n"
        "scan_secrets(build(Path(sys.argv[1]), Path(sys.argv[2])), ScanLimits())\n"
    )
    with tempfile.TemporaryDirectory(prefix="hatch-stage-bench-") as scratch:
        project = Path(scratch) / "sample"
        shutil.copytree(ROOT / "tests" / "fixtures" / "projects" / "sample", project)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", script, str(project), str(Path(scratch) / "out")],
                       check=True)
        return time.perf_counter() - started


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
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    sdists = [sdist_for(spec, args.cache) for spec in args.specs]

    with tempfile.TemporaryDirectory(prefix="hatch-stage-bench-") as workdir:
        tops, files, size = unpack(sdists, Path(workdir))
        theirs, slow = detect_secrets_findings(Path(workdir), tops)
    # the default mode first, so it pays for the imports: the figure that matters
    found, fast = hatch_stage_findings(sdists, exact=False)
    ours, exact = hatch_stage_findings(sdists, exact=True)

    megabytes = size / 1e6
    print(f"sdists: {', '.join(p.name for p in sdists)}")
    print(f"scanned: {files} files, {megabytes:.1f} MB uncompressed")
    for label, seconds in (
        ("detect-secrets scan --all-files --no-verify", slow),
        ("hatch-stage, default (new detectors on)", fast),
        ("hatch-stage, exact mode", exact),
    ):
        print(f"{label:44} {seconds:8.2f} s  ({megabytes / seconds:6.2f} MB/s)")
    print(f"ratio, default mode: {slow / fast:.1f}x faster (goal: at least {GOAL}x)")
    print(f"ratio, exact mode: {slow / exact:.1f}x faster")
    print(f"default mode: {len(found)} findings (low-confidence ones included)")
    print(f"a small project's build + scan in a fresh interpreter (pre-commit): "
          f"{small_project_check():.2f} s")
    if ours == theirs:
        print(f"findings, exact mode: identical ({len(ours)} secrets)")
        return 0 if slow / fast >= GOAL else 1
    print(f"findings, exact mode: DIFFERENT ({len(theirs)} by detect-secrets, {len(ours)} by "
          "hatch-stage)")
    differences = (("only detect-secrets", theirs - ours), ("only hatch-stage", ours - theirs))
    for label, keys in differences:
        for path, line, kind, digest in sorted(keys)[:10]:
            print(f"  {label}: {path}:{line} {kind} {digest}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
