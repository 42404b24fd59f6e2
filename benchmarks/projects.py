"""``hatch-stage check`` on real projects nobody here wrote, built with their own backends.

For each project below, the latest sdist (and the published wheel) is downloaded from the
public index (cached, see ``_pypi.py``) and unpacked as a project directory that looks like a
maintainer's checkout of the release: ``git init``, everything committed, tagged with the
project's release tag, ``v<version>`` for most (so setuptools-scm and hatch-vcs compute the
released version, as they do on a release tag). In it, ``hatch-stage check --json --out DIR``
runs twice:

- the **first** run, with an empty build-environment cache (``HATCH_STAGE_CACHE_DIR`` points
  at a fresh directory, shared by the projects of this run, as the user cache is shared):
  it creates the build environments;
- the **second** run reuses them: this is what every later pre-commit run costs.

A project counts when its check reports findings and a quality score (whether its release
would be blocked is the scanner's verdict, not the build's). The files it built are compared
with the published ones: the same file names, and the same member lists (RECORD's hashes and
the timestamps are not compared); for the wheel, differing contents (a newer backend writes
another ``Generator:`` line), and files setuptools keeps in ``*.egg-info/`` (a newer
setuptools-scm adds ``scm_version.json``) are shown, not counted. The checkout has no
PKG-INFO or egg-info, as a real one has none: the build writes them.

Last, the second runs of projects whose hatchling build needs plugins (hatch-vcs,
hatch-fancy-pypi-readme, ...), which run in a cached build environment, are compared with the
checks of plain hatchling projects, which build in-process: the median ratio must stay under
2x. Exits non-zero when fewer than ``--need`` projects report a score or that ratio is 2x or
more.

    .venv/bin/python benchmarks/projects.py [NAME ...] [--need 28] [--keep-envs]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from _harness import HATCH_STAGE, Run, measure, scratch
from _pypi import Release, client, latest_release

from hatch_stage.config import tomllib

#: project -> its group; "hatchling+plugins" and "hatchling" are the two sides of the ratio
PROJECTS: dict[str, str] = {
    **dict.fromkeys(["attrs", "black", "httpx", "urllib3", "hatch", "cattrs", "iniconfig",
                     "structlog", "jsonschema", "httpcore", "pydantic"], "hatchling+plugins"),
    **dict.fromkeys(["starlette", "uvicorn", "python-multipart", "annotated-types",
                     "pydantic-settings"], "hatchling"),
    **dict.fromkeys(["pluggy", "pytest", "setuptools-scm", "anyio", "zipp", "twine",
                     "pytest-xdist"], "setuptools-scm"),
    "requests": "setuptools",
    **dict.fromkeys(["packaging", "idna", "click", "flask", "jinja2", "tomli"], "flit"),
    **dict.fromkeys(["fastapi", "typer", "pdm-backend"], "pdm"),
    **dict.fromkeys(["rich", "poetry-core", "tomlkit"], "poetry-core"),
}

#: release tags that are not ``v<version>`` (hatch's monorepo tags each package)
TAGS = {"hatch": "hatch-v{version}"}


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost",
                    "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
                   cwd=cwd, check=True, capture_output=True)


def checkout(release: Release, workdir: Path) -> Path:
    """The sdist unpacked as a release checkout: a git repository tagged with the version."""
    with tarfile.open(release.sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        archive.extractall(workdir, filter="data")
    root = workdir / top
    # a checkout has no PKG-INFO or egg-info: the build writes them (hatchling would ship two
    # PKG-INFO; setuptools rewriting tracked egg-info would make the tree "dirty" for scm).
    # A package of a monorepo whose scm root is above it keeps PKG-INFO: the sdist cannot hold
    # the monorepo's git history, and PKG-INFO is where its version then comes from
    if not _scm_root_above(root):
        (root / "PKG-INFO").unlink(missing_ok=True)
    for egg_info in [*root.glob("*.egg-info"), *root.glob("src/*.egg-info")]:
        shutil.rmtree(egg_info)
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-q", "--no-verify", "-m", f"release {release.version}", cwd=root)
    git("tag", TAGS.get(release.name, "v{version}").format(version=release.version), cwd=root)
    return root


def _scm_root_above(root: Path) -> bool:
    tool = tomllib.loads((root / "pyproject.toml").read_text()).get("tool", {}) \
        if (root / "pyproject.toml").is_file() else {}
    hatch_vcs = tool.get("hatch", {}).get("version", {}).get("raw-options", {})
    roots = [tool.get("setuptools_scm", {}).get("root", "."), hatch_vcs.get("root", ".")]
    return any(str(value).startswith("..") for value in roots)


def _sdist_members(path: Path) -> dict[str, str]:
    with tarfile.open(path) as archive:
        return {info.name.partition("/")[2]: "" for info in archive
                if not info.isdir() and info.name.partition("/")[2]}


def _wheel_members(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: "" if name.endswith(".dist-info/RECORD")
                else hashlib.sha256(archive.read(name)).hexdigest()
                for name in archive.namelist() if not name.endswith("/")}


@dataclass
class Outcome:
    name: str
    group: str
    version: str = ""
    first: Run | None = None
    second: Run | None = None
    report: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: differences that are not mismatches (a newer backend writes another Generator line)
    remarks: list[str] = field(default_factory=list)

    @property
    def scored(self) -> bool:
        quality = self.report.get("quality")
        return isinstance(quality, dict) and "score" in quality and "findings" in self.report


def compare(release: Release, out: Path, outcome: Outcome) -> None:
    """Differences between the files the check built and the published ones, if any."""
    built = {path.name: path for path in out.iterdir()} if out.is_dir() else {}
    published = {release.sdist.name: release.sdist}
    if release.wheel is not None and any(name.endswith(".whl") for name in built):
        published[release.wheel.name] = release.wheel
    if set(built) != set(published):
        outcome.problems.append(f"files {sorted(built)} != published {sorted(published)}")
        return
    for name, path in published.items():
        read = _wheel_members if name.endswith(".whl") else _sdist_members
        ours, theirs = read(built[name]), read(path)
        extra, missing = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
        if any(".egg-info/" not in member for member in extra + missing):
            outcome.problems.append(f"{name}: members differ (extra {extra[:3]}, "
                                    f"missing {missing[:3]})")
        elif extra or missing:  # a newer setuptools-scm keeps more in the egg-info
            outcome.remarks.append(f"egg-info differs: extra {extra[:2]}, missing {missing[:2]}")
        elif name.endswith(".whl") and ours != theirs:
            changed = sorted(member.rpartition("/")[2] for member in ours
                             if ours[member] != theirs[member])
            outcome.remarks.append(f"wheel contents differ in {', '.join(changed[:4])}")


def check(root: Path, out: Path, env: dict[str, str]) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    return measure([HATCH_STAGE, "check", "--json", "--out", str(out)], env=env, cwd=root)


def run_project(name: str, group: str, http: object, work: Path, env: dict[str, str]) -> Outcome:
    outcome = Outcome(name, group)
    try:
        release = latest_release(name, http)  # type: ignore[arg-type]
    except Exception as error:  # a download problem is this project's failure, not the run's
        outcome.problems.append(f"download failed: {error}")
        return outcome
    outcome.version = release.version
    root = checkout(release, work / name)
    out = work / f"{name}-out"
    outcome.first = check(root, out, env)
    outcome.second = check(root, out, env)
    try:
        outcome.report = json.loads(outcome.second.stdout)
    except ValueError:
        outcome.problems.append(f"no JSON report: {outcome.second.stderr.strip()[-300:]}")
        return outcome
    if not outcome.scored:
        outcome.problems.append(str(outcome.report.get("error", ""))[:400])
        return outcome
    compare(release, out, outcome)
    return outcome


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="projects to run (default: all)")
    parser.add_argument("--need", type=int, default=28, help="projects that must report a score")
    parser.add_argument("--keep-envs", action="store_true",
                        help="use the user's build-environment cache instead of a fresh one")
    args = parser.parse_args()
    chosen = {name: PROJECTS.get(name, "other") for name in args.names} or PROJECTS
    outcomes: list[Outcome] = []
    with scratch("hatch-stage-projects-") as work, client() as http:
        env = {} if args.keep_envs else {"HATCH_STAGE_CACHE_DIR": str(work / "cache")}
        print(f"{'project':<20} {'group':<18} {'version':<11} {'first':>7} {'second':>7} "
              f"{'score':>5} {'finds':>5}  artifacts")
        for name, group in chosen.items():
            outcome = run_project(name, group, http, work, env)
            outcomes.append(outcome)
            quality = outcome.report.get("quality", {})
            score = quality.get("score", "-") if isinstance(quality, dict) else "-"
            findings = outcome.report.get("findings")
            found = len(findings) if isinstance(findings, list) else "-"
            first = f"{outcome.first.seconds:.2f}" if outcome.first else "-"
            second = f"{outcome.second.seconds:.2f}" if outcome.second else "-"
            verdict = "; ".join(outcome.problems) or "same names and members as published"
            if outcome.remarks and not outcome.problems:
                verdict += f" ({'; '.join(outcome.remarks)})"
            print(f"{name:<20} {group:<18} {outcome.version:<11} {first:>7} {second:>7} "
                  f"{score!s:>5} {found!s:>5}  {verdict}", flush=True)
    scored = [o for o in outcomes if o.scored]
    matching = [o for o in scored if not o.problems]
    plugins = [o.second.seconds for o in scored if o.group == "hatchling+plugins" and o.second]
    plain = [o.second.seconds for o in scored if o.group == "hatchling" and o.second]
    ratio = _median(plugins) / _median(plain) if plugins and plain else float("nan")
    print(f"\n{len(scored)} of {len(outcomes)} projects report findings and a score "
          f"(need {args.need}); the built files match the published ones for {len(matching)}")
    print(f"second run, median: hatchling with build plugins (cached build environment) "
          f"{_median(plugins):.2f} s, plain hatchling (in-process) {_median(plain):.2f} s: "
          f"{ratio:.2f}x (limit 2x)")
    firsts = [o.first.seconds for o in scored if o.first]
    seconds = [o.second.seconds for o in scored if o.second]
    print(f"all scored projects, median: first run {_median(firsts):.2f} s, "
          f"second run {_median(seconds):.2f} s")
    return 0 if len(scored) >= args.need and ratio < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
