"""The client's scan cache gives exactly what scanning gives, and cannot be made to hide a secret.

A member's kept result is used only for the same name, the same bytes and the same scanning
code; anything else is scanned. The release of ``test_parallel_scan`` (secrets of many kinds,
unparsable files, lock files, binaries) is scanned without the cache and with it, cold and
warm, with members known and unknown interleaved, serially and in real worker processes: the
findings and notes, and their order, must be those of the scan without the cache.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path

import pytest
from clitools import environment, run_cli
from secretkinds import TOKENS, password
from test_parallel_scan import NAME, many_members

from hatch_stage.config import ScanLimits
from hatch_stage.inspection import parallel, scan_cache, scan_secrets
from hatch_stage.inspection import secrets as secrets_module
from hatch_stage.models import Artifact, Member


def _no_scanner(self: object, stack: object) -> object:
    raise AssertionError("a scanner was set up although every member was known")


def _sdist(path: Path, members: dict[str, bytes]) -> Artifact:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{NAME}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return Artifact(path, "sdist")


def _members(artifact: Artifact) -> dict[str, bytes]:
    with tarfile.open(artifact.path) as archive:
        return {info.name.split("/", 1)[1]: archive.extractfile(info).read()  # type: ignore[union-attr]
                for info in archive.getmembers() if info.isfile()}


@pytest.mark.parametrize("exact", [False, True], ids=["default", "exact"])
def test_a_warm_run_scans_nothing_and_gives_what_scanning_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exact: bool,
) -> None:
    artifact = many_members(tmp_path, count=200)
    cache = tmp_path / "cache"
    fresh = scan_secrets([artifact], ScanLimits(), exact=exact, workers=1)
    cold = scan_secrets([artifact], ScanLimits(), exact=exact, workers=1, cache_dir=cache)
    monkeypatch.setattr(secrets_module._Setup, "__call__", _no_scanner)
    warm = scan_secrets([artifact], ScanLimits(), exact=exact, workers=1, cache_dir=cache)
    assert len(fresh.findings) > 10 and fresh.notes  # there was something to get wrong
    assert cold == fresh
    assert warm == fresh  # the same findings and notes, in the same order
    assert oct((cache / f"scan-{'exact' if exact else 'default'}.json").stat().st_mode & 0o777) \
        == "0o600"


@pytest.mark.parametrize("workers", [1, 2], ids=["serial", "pool"])
def test_known_and_new_members_interleaved_keep_the_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int,
) -> None:
    """Every other member known: the new ones are scanned (in worker processes too) and each
    result is put back in its place."""
    full = _members(many_members(tmp_path, count=300))
    names = sorted(full)
    half = _sdist(tmp_path / "half.tar.gz", {name: full[name] for name in names[::2]})
    cache = tmp_path / "cache"
    scan_secrets([half], ScanLimits(), workers=1, cache_dir=cache)

    changed = dict(full)
    secret_member = names[1]  # unknown: in no earlier scan
    changed[secret_member] += f'\nGITHUB = "{TOKENS["GitHub Token"]()}"\n'.encode()
    release = _sdist(tmp_path / "release.tar.gz", changed)
    fresh = scan_secrets([release], ScanLimits(), workers=1)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    monkeypatch.setattr(parallel, "BATCH_BYTES", 8 * 1024)
    cached = scan_secrets([release], ScanLimits(), workers=workers, cache_dir=cache)
    assert cached == fresh
    assert any(f.member.endswith(secret_member) for f in cached.findings)


def test_the_same_bytes_under_another_name_are_scanned_again(tmp_path: Path) -> None:
    """The name decides what the scan makes of the bytes (a secret in tests/ is judged low):
    it is part of the key."""
    text = f'password = "{password()}"\n'.encode()
    cache = tmp_path / "cache"
    in_library = _sdist(tmp_path / "a.tar.gz", {"src/pkg/settings.py": text})
    in_tests = _sdist(tmp_path / "b.tar.gz", {"tests/test_settings.py": text})
    library = scan_secrets([in_library], ScanLimits(), workers=1, cache_dir=cache)
    cached = scan_secrets([in_tests], ScanLimits(), workers=1, cache_dir=cache)
    assert cached == scan_secrets([in_tests], ScanLimits(), workers=1)
    assert {f.member for f in cached.findings} == {f"{NAME}/tests/test_settings.py"}
    # the verdicts differ by name, so a result taken across names would have been wrong
    assert [f.confidence for f in cached.findings] != [f.confidence for f in library.findings]


def _forge_clean(cache: Path, secret_file: Artifact) -> Path:
    """Rewrite every entry of the cache file as "nothing found", keyed for ``secret_file``'s
    members, as someone planting entries would."""
    path = cache / "scan-default.json"
    document = json.loads(path.read_text())
    members = _members(secret_file)
    for name, data in members.items():
        key = scan_cache.member_key(Member(secret_file.path.name, f"{NAME}/{name}", data))
        document["entries"][key] = {"findings": [], "notes": []}
    path.write_text(json.dumps(document))
    return path


def test_a_file_others_may_write_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    leaky = _sdist(tmp_path / "leaky.tar.gz",
                   {"src/pkg/settings.py": f'TOKEN = "{TOKENS["GitHub Token"]()}"\n'.encode()})
    scan_secrets([_sdist(tmp_path / "clean.tar.gz", {"README": b"hello\n"})], ScanLimits(),
                 workers=1, cache_dir=cache)
    forged = _forge_clean(cache, leaky)
    forged.chmod(0o600)  # the user's own file is trusted (the forged keys do match) ...
    assert not scan_secrets([leaky], ScanLimits(), workers=1, cache_dir=cache).findings
    _forge_clean(cache, leaky)
    forged.chmod(0o664)  # ... one a group may write is not
    assert scan_secrets([leaky], ScanLimits(), workers=1, cache_dir=cache).findings


def test_entries_of_other_scanning_code_are_ignored(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept under another fingerprint (another version of the scan): nothing is taken."""
    cache = tmp_path / "cache"
    leaky = _sdist(tmp_path / "leaky.tar.gz",
                   {"src/pkg/settings.py": f'TOKEN = "{TOKENS["GitHub Token"]()}"\n'.encode()})
    monkeypatch.setattr(scan_cache, "fingerprint", lambda exact: "an older scanner")
    scan_secrets([_sdist(tmp_path / "clean.tar.gz", {"README": b"hello\n"})], ScanLimits(),
                 workers=1, cache_dir=cache)
    _forge_clean(cache, leaky)
    monkeypatch.undo()
    assert scan_secrets([leaky], ScanLimits(), workers=1, cache_dir=cache).findings


def test_the_fingerprint_follows_the_scanning_code(tmp_path: Path) -> None:
    sources = scan_cache._sources()
    assert {"secretscan.py", "secrets.py", "confidence.py", "detectors.py"} <= {
        path.name for path in sources}
    for package in ("detect_secrets", "yaml"):  # detect-secrets' code and its YAML parser's
        assert any(package in path.parts and path.name == "__init__.py" for path in sources)
    assert scan_cache.fingerprint(False) != scan_cache.fingerprint(True)


def _check_in_process_of_its_own(project: Path, env: dict[str, str | None]) -> tuple[int, bool]:
    """``hatch-stage check`` in a fresh interpreter: its status, and whether it imported
    detect-secrets."""
    import subprocess

    code = ("import sys; from hatch_stage.cli import main; status = main(['check']); "
            "print('detect_secrets' in sys.modules); sys.exit(status)")
    run = subprocess.run([sys.executable, "-c", code], cwd=project, env=environment(env),
                         capture_output=True, text=True, timeout=120)
    return run.returncode, run.stdout.strip().endswith("True")


def test_a_repeated_check_imports_no_detect_secrets_and_still_finds_a_new_secret(
    sample_project: Path, tmp_path: Path,
) -> None:
    env = {"HATCH_STAGE_CACHE_DIR": str(tmp_path / "cache"), "HATCH_STAGE_SCAN_CACHE": None}
    assert _check_in_process_of_its_own(sample_project, env) == (0, True)
    assert _check_in_process_of_its_own(sample_project, env) == (0, False)

    vault = sample_project / "src" / "sample_pkg" / "vault.py"
    vault.write_text(f'TOKEN = "{TOKENS["GitHub Token"]()}"\n')
    found = run_cli(["check", "--json"], cwd=sample_project, env=env)
    again = run_cli(["check", "--json"], cwd=sample_project, env=env)
    assert found.returncode == again.returncode == 1
    assert [f["member"] for f in found.json()["findings"]] == \
        [f["member"] for f in again.json()["findings"]]
    assert any(f["member"].endswith("vault.py") for f in again.json()["findings"])


def test_turned_off_nothing_is_kept(sample_project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"HATCH_STAGE_CACHE_DIR": str(cache), "HATCH_STAGE_SCAN_CACHE": "0"}
    assert run_cli(["check"], cwd=sample_project, env=env).returncode == 0
    assert not list(cache.glob("scan-*.json"))


def test_the_file_keeps_the_newest_entries_only(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_cache, "MAX_ENTRIES", 3)
    cache = tmp_path / "cache"
    older = _sdist(tmp_path / "older.tar.gz", {f"m{i}.py": f"x = {i}\n".encode() for i in range(4)})
    newer = _sdist(tmp_path / "newer.tar.gz", {"n.py": b"y = 1\n"})
    scan_secrets([older], ScanLimits(), workers=1, cache_dir=cache)
    scan_secrets([newer], ScanLimits(), workers=1, cache_dir=cache)
    entries = list(json.loads((cache / "scan-default.json").read_text())["entries"])
    newest = scan_cache.member_key(Member(newer.path.name, f"{NAME}/n.py", b"y = 1\n"))
    assert len(entries) == 3 and entries[-1] == newest
