"""``hatch-stage publish`` of a large wheel next to ``twine upload`` of the same file.

Writes a valid wheel holding one big incompressible data member (300 MB by default) and a
small one (30 MB), then, each against a fresh ``hatch-stage serve`` on 127.0.0.1 with a
maintainer token, in the same run:

- ``hatch-stage publish WHEEL --registry URL --yes --json`` (token in ``HATCH_STAGE_TOKEN``):
  the whole client pipeline, scan and score included, then the PEP 694 upload;
- ``twine upload --repository-url URL/legacy/staged/`` of the same wheel (the baseline);
- the floor: the same PEP 694 calls made by ``curl`` (create the session, start the file
  upload, stream the bytes with ``--upload-file WHEEL``, complete it), with ``sha256sum`` for
  the hash the protocol asks for up front. Its time is the sum of those processes' times, its
  peak memory the largest of theirs; no client can stage the file with less;
- ``hatch-stage publish`` of the small wheel, to show the client's memory does not grow
  with the artifact;
- ``hatch-stage publish --dry-run`` of the big wheel: pack, scan and score alone, to show
  the scan is a small part of the time;
- ``hatch-stage publish`` of the big wheel after a dry run of it filled a scan cache (as a
  pre-commit run or ``check`` of unchanged files does): the publish scans nothing again.

Every other hatch-stage run scans every member (``HATCH_STAGE_SCAN_CACHE=0``), as a first
publish does; the goals are judged on those.

Each is run ``--repeat`` times (fresh registry each time); the median wall time and the
highest peak resident memory (``ru_maxrss`` of exactly that child) are printed, with the
ratios hatch-stage/floor and hatch-stage/twine. Memory is called flat when the client's
peak is far below the file size and the big wheel costs at most ``--max-growth`` MB more than
the small one. Exits non-zero if memory is not flat, hatch-stage's peak is above twine's, or
it takes more than ``--max-over-floor`` (1.1) times the floor. Every generated file is
removed at the end.

    .venv/bin/python benchmarks/publish.py [--size-mb 300] [--small-mb 30]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import statistics
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _harness import BIN, HATCH_STAGE, Run, chunks, make_token, measure, ratio, scratch, serve

# every publish scans its wheel as a first publish does: no scan cache kept from an earlier
# run (a warm one would leave detect-secrets unimported and the peak lower)
os.environ["HATCH_STAGE_SCAN_CACHE"] = "0"

PROJECT = "hatch-stage-bench"
UPLOAD_TYPE = "application/vnd.pypi.upload.v2+json"
META = {"api-version": "2.0"}


def _record_hash(digest: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def write_wheel(directory: Path, version: str, size: int) -> Path:
    """A valid pure-Python wheel whose package carries ``size`` random bytes in ``data.bin``.

    The data member is stored, not deflated: it is incompressible, and deflating 300 MB
    would only slow the set-up down.
    """
    module, dist = PROJECT.replace("-", "_"), f"{PROJECT.replace('-', '_')}-{version}"
    path = directory / f"{dist}-py3-none-any.whl"
    record: list[str] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:

        def add(name: str, text: str) -> None:
            data = text.encode()
            wheel.writestr(name, data)
            record.append(f"{name},{_record_hash(hashlib.sha256(data).digest())},{len(data)}")

        add(f"{module}/__init__.py", f'"""A large payload for benchmarks."""\n\n'
                                     f'__version__ = "{version}"\n')
        info = zipfile.ZipInfo(f"{module}/data.bin", (2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        digest = hashlib.sha256()
        with wheel.open(info, "w", force_zip64=True) as stream:
            for chunk in chunks(size):
                digest.update(chunk)
                stream.write(chunk)
        record.append(f"{info.filename},{_record_hash(digest.digest())},{size}")
        add(f"{dist}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {version}\n"
            "Summary: A large wheel for hatch-stage's publish benchmark\n"
            "License: MIT\nRequires-Python: >=3.10\n")
        add(f"{dist}.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: hatch-stage-bench\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n")
        wheel.writestr(f"{dist}.dist-info/RECORD",
                       "\n".join([*record, f"{dist}.dist-info/RECORD,,"]) + "\n")
    return path


def hatch_stage_dry_run(wheel: Path, workdir: Path) -> Run:
    """hatch-stage publish --dry-run of ``wheel``: the local half of the pipeline only."""
    return measure([HATCH_STAGE, "publish", str(wheel), "--dry-run", "--json"],
                   cwd=workdir).check(f"hatch-stage publish --dry-run {wheel.name}")


def hatch_stage_publish(wheel: Path, workdir: Path, env: dict[str, str] | None = None) -> Run:
    """hatch-stage publish of ``wheel`` into a fresh registry; checks the stage id came back."""
    with scratch() as data, serve(data) as server:
        token = make_token(data, PROJECT)
        run = measure([HATCH_STAGE, "publish", str(wheel), "--registry", server.url,
                       "--yes", "--json"], env={"HATCH_STAGE_TOKEN": token, **(env or {})},
                      cwd=workdir)
        run.check(f"hatch-stage publish {wheel.name}")
        if not json.loads(run.stdout).get("stageId"):
            raise SystemExit(f"hatch-stage publish printed no stage id:\n{run.stdout}")
        return run


def hatch_stage_publish_after_check(wheel: Path, workdir: Path) -> Run:
    """hatch-stage publish of ``wheel`` after a dry run of it has filled a scan cache (as a
    pre-commit run or ``check`` does before a publish of unchanged files): nothing is scanned
    again, so detect-secrets is not even imported. Only the publish is measured."""
    with scratch() as cache:
        env = {"HATCH_STAGE_SCAN_CACHE": "1", "HATCH_STAGE_CACHE_DIR": str(cache)}
        measure([HATCH_STAGE, "publish", str(wheel), "--dry-run", "--json"], env=env,
                cwd=workdir).check("hatch-stage publish --dry-run (filling the cache)")
        return hatch_stage_publish(wheel, workdir, env)


def curl_floor(wheel: Path, workdir: Path) -> Run:
    """The PEP 694 calls of a publish made by curl into a fresh registry (see the module
    docstring): one :class:`Run` summing their times, with the highest peak."""
    runs: list[Run] = []
    with scratch() as data, serve(data) as server:
        headers = workdir / "curl-headers"  # the token never on a command line
        headers.write_text(f"Authorization: Bearer {make_token(data, PROJECT)}\n"
                           f"Content-Type: {UPLOAD_TYPE}\n")
        headers.chmod(0o600)

        def post(url: str, *body: str) -> dict[str, Any]:
            run = measure(["curl", "-sS", "--fail-with-body", "-X", "POST", "-H", f"@{headers}",
                           *body, url], cwd=workdir).check(f"curl POST {url}")
            runs.append(run)
            return dict(json.loads(run.stdout)) if run.stdout.strip() else {}

        hashed = measure(["sha256sum", str(wheel)]).check("sha256sum")
        runs.append(hashed)
        version = wheel.name.split("-")[1]
        session = post(f"{server.url}/upload/2.0/", "--data", json.dumps(
            {"meta": META, "name": PROJECT, "version": version}))
        started = post(session["links"]["upload"], "--data", json.dumps({
            "meta": META, "filename": wheel.name, "size": wheel.stat().st_size,
            "hashes": {"sha256": hashed.stdout.split()[0]}, "mechanism": "http-post-bytes"}))
        # --upload-file streams from disk (--data-binary @FILE would read it all first)
        post(started["mechanism"]["file_url"], "-H", "Content-Type: application/octet-stream",
             "--upload-file", str(wheel))
        done = post(started["links"]["complete"], "--data", json.dumps({"meta": META}))
        if done.get("status") != "completed":
            raise SystemExit(f"curl's upload was not completed: {done}")
    return Run(sum(run.seconds for run in runs), max(run.peak_kib for run in runs), 0,
               "", "")


def twine_upload(wheel: Path, workdir: Path) -> Run:
    """twine upload of ``wheel`` to the legacy staged endpoint of a fresh registry."""
    with scratch() as data, serve(data) as server:
        token = make_token(data, PROJECT)
        return measure([str(BIN / "twine"), "upload", "--repository-url",
                        f"{server.url}/legacy/staged/", "--non-interactive",
                        "--disable-progress-bar", str(wheel)],
                       env={"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": token},
                       cwd=workdir).check(f"twine upload {wheel.name}")


@dataclass(frozen=True)
class Result:
    """Several runs of one client on one wheel."""

    label: str
    size: int
    runs: tuple[Run, ...]

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(run.peak_kib for run in self.runs) / 1024

    def row(self) -> str:
        return (f"{self.label:<34}{self.size / 1e6:>9.1f}{self.seconds:>9.2f}"
                f"{self.size / 1e6 / self.seconds:>8.1f}{self.peak_mib:>14.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=300, help="big wheel's payload, MB")
    parser.add_argument("--small-mb", type=int, default=30, help="small wheel's payload, MB")
    parser.add_argument("--max-growth", type=int, default=32,
                        help="most MB the big wheel may cost over the small one in client memory")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each client")
    parser.add_argument("--max-over-floor", type=float, default=1.1,
                        help="fail if hatch-stage takes longer than this times curl's floor")
    options = parser.parse_args()

    with scratch() as workdir:
        print("writing the wheels ...", file=sys.stderr)
        big = write_wheel(workdir, "1.0", options.size_mb * 1_000_000)
        small = write_wheel(workdir, "0.1", options.small_mb * 1_000_000)
        big_size, small_size = big.stat().st_size, small.stat().st_size
        plan: list[tuple[str, Path, Callable[[Path, Path], Run]]] = [
            ("hatch-stage publish", big, hatch_stage_publish),
            ("twine upload", big, twine_upload),
            ("curl, same PEP 694 calls (floor)", big, curl_floor),
            ("hatch-stage publish", small, hatch_stage_publish),
            ("hatch-stage publish --dry-run", big, hatch_stage_dry_run),
            ("hatch-stage publish, scan cached", big, hatch_stage_publish_after_check),
        ]
        runs: list[list[Run]] = [[] for _ in plan]
        for attempt in range(options.repeat):  # interleaved, so drift hits every client alike
            for (label, wheel, client), done in zip(plan, runs, strict=True):
                print(f"[{attempt + 1}/{options.repeat}] {label} {wheel.name}", file=sys.stderr)
                done.append(client(wheel, workdir))
        ours, theirs, floor, ours_small, dry, cached = (
            Result(label, wheel.stat().st_size, tuple(done))
            for (label, wheel, _), done in zip(plan, runs, strict=True)
        )

    print(f"{'client':<34}{'wheel MB':>9}{'time s':>9}{'MB/s':>8}{'peak RSS MiB':>14}")
    for result in (ours, theirs, floor, ours_small, dry, cached):
        print(result.row())
    print(f"(median time and highest peak of {options.repeat} runs each)")
    print(f"time, hatch-stage/curl floor:     {ratio(ours.seconds, floor.seconds)} "
          f"(goal: at most {options.max_over_floor}x)")
    print(f"time, hatch-stage/twine:          {ratio(ours.seconds, theirs.seconds)}")
    print(f"peak RSS, hatch-stage/twine:      {ratio(ours.peak_mib, theirs.peak_mib)} "
          "(goal: at most 1.00x)")
    print(f"peak RSS, scan cached/twine:      {ratio(cached.peak_mib, theirs.peak_mib)} "
          "(after a check of the same files)")
    print(f"pack+scan+score share of publish: {dry.seconds / ours.seconds:.0%} "
          "(dry run time / publish time, start-up included)")
    growth = ours.peak_mib - ours_small.peak_mib
    print(f"peak RSS, big wheel - small:      {growth:+.1f} MiB for "
          f"{(big_size - small_size) / 1e6:.0f} MB more file")
    flat = growth <= options.max_growth and ours.peak_mib * 2**20 < big_size / 4
    print(f"memory flat:                      {'yes' if flat else 'NO'} (peak "
          f"{ours.peak_mib:.0f} MiB for a {big_size / 1e6:.0f} MB wheel)")
    fast = ours.seconds <= floor.seconds * options.max_over_floor
    print(f"time near curl's floor:           {'yes' if fast else 'NO'} (allowed "
          f"{options.max_over_floor:.2f}x)")
    lean = ours.peak_mib <= theirs.peak_mib
    print(f"peak RSS at or below twine's:     {'yes' if lean else 'NO'}")
    return 0 if flat and fast and lean else 1


if __name__ == "__main__":
    sys.exit(main())
