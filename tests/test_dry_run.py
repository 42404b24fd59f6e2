"""``hatch-stage publish --dry-run`` and ``check`` through the real command line."""

from __future__ import annotations

import random
import string
import zipfile
from pathlib import Path

from clitools import run_cli


def plant_aws_key(project: Path) -> tuple[str, str, int]:
    """Write a fresh random AWS access key id into a packaged module; returns key, member, line."""
    key = "AKIA" + "".join(random.choices(string.ascii_uppercase + string.digits, k=16))
    module = project / "src" / "sample_pkg" / "settings.py"
    module.write_text(
        f'"""Settings."""\n\nREGION = "eu-west-1"\naws_access_key_id = "{key}"\n',
        encoding="utf-8",
    )
    return key, "sample_pkg/settings.py", 4


def test_planted_key_blocks_and_is_never_printed(sample_project: Path) -> None:
    key, member, line = plant_aws_key(sample_project)
    result = run_cli(["publish", "--dry-run", "--json"], cwd=sample_project)
    assert result.returncode != 0
    assert key not in result.stdout + result.stderr
    document = result.json()
    assert document["success"] is False
    assert document["error_code"] == "secrets_found"
    aws = [f for f in document["findings"] if f["type"] == "AWS Access Key"]
    wheel_hits = [f for f in aws if f["artifact"].endswith(".whl")]
    assert wheel_hits and wheel_hits[0]["member"] == member and wheel_hits[0]["line"] == line
    sdist_hits = [f for f in aws if f["artifact"].endswith(".tar.gz")]
    assert sdist_hits and sdist_hits[0]["member"].endswith("src/" + member)

    human = run_cli(["publish", "--dry-run"], cwd=sample_project)
    assert human.returncode != 0
    assert key not in human.stdout + human.stderr
    assert "AWS Access Key" in human.stdout and "settings.py:4" in human.stdout


def test_clean_project_would_stage_with_a_score(sample_project: Path) -> None:
    result = run_cli(["publish", "--dry-run", "--json"], cwd=sample_project)
    assert result.returncode == 0, result.stderr
    document = result.json()
    assert document["success"] is True and document["dry_run"] is True
    assert (document["target"], document["name"], document["version"]) == (
        "python",
        "sample-pkg",
        "1.2.0",
    )
    assert document["findings"] == []
    assert 0 <= document["quality"]["score"] <= 100
    assert document["quality"]["checks"], "the built-in scorer reports its checks"
    kinds = sorted(f["kind"] for f in document["files"])
    assert kinds == ["sdist", "wheel"]
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in document["files"])
    assert not (sample_project / "dist").exists(), "the project's dist/ is left alone"


def test_allow_secrets_reports_but_does_not_block(sample_project: Path) -> None:
    key, _member, _line = plant_aws_key(sample_project)
    result = run_cli(["check", "--json", "--allow-secrets"], cwd=sample_project)
    assert result.returncode == 0
    assert key not in result.stdout
    assert any(f["type"] == "AWS Access Key" for f in result.json()["findings"])


def test_min_score_gates(sample_project: Path) -> None:
    result = run_cli(["check", "--json", "--min-score", "101"], cwd=sample_project)
    assert result.returncode == 2 and "min-score" in result.json()["error"]
    bare = sample_project
    (bare / "README.md").write_text("x\n")
    (bare / "CHANGELOG.md").unlink()
    result = run_cli(["check", "--json", "--min-score", "100"], cwd=bare)
    document = result.json()
    assert result.returncode == 1
    assert document["error_code"] == "score_below_minimum"
    assert (
        f"quality score {document['quality']['score']} is below the minimum 100"
        in document["error"]
    )


def test_out_keeps_the_exact_artifacts(sample_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["check", "--json", "--out", str(out)], cwd=sample_project)
    assert result.returncode == 0, result.stderr
    from hashlib import sha256

    for entry in result.json()["files"]:
        kept = out / entry["filename"]
        assert sha256(kept.read_bytes()).hexdigest() == entry["sha256"]
    wheel = next(out.glob("*.whl"))
    assert "sample_pkg/__init__.py" in zipfile.ZipFile(wheel).namelist()


def test_prebuilt_artifacts_are_taken_as_they_are(sample_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "built"
    assert run_cli(["check", "--json", "--out", str(out)], cwd=sample_project).returncode == 0
    files = sorted(str(p) for p in out.iterdir())
    result = run_cli(["check", "--json", *files], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(f["filename"] for f in result.json()["files"]) == sorted(
        Path(f).name for f in files
    )


def test_bad_settings_are_clear_errors(sample_project: Path) -> None:
    pyproject = sample_project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.hatch-stage]\nmin-scor = 50\n")
    result = run_cli(["check", "--json"], cwd=sample_project)
    assert result.returncode == 2
    assert "unknown setting 'min-scor'" in result.json()["error"]
    pyproject.write_text(
        pyproject.read_text().replace("min-scor = 50", 'disable = ["detect-secret"]')
    )
    result = run_cli(["check", "--json"], cwd=sample_project)
    assert result.returncode != 0
    assert (
        "detect-secret" in result.json()["error"] and result.json()["error_code"] == "plugin_error"
    )


def test_missing_artifact_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli(["check", "--json", str(tmp_path / "nope-1.0-py3-none-any.whl")], cwd=tmp_path)
    assert result.returncode != 0
    assert "no such file" in result.json()["error"]
