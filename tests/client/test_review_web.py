"""``hatch-stage view ID --web`` opens the registry's review page in the browser (issue 9,
part C). The browser is a stand-in command named by $BROWSER (what Python's webbrowser
honours) that writes down the URL it was given."""

from __future__ import annotations

import uuid
from pathlib import Path

from clitools import run_cli

REGISTRY = "http://127.0.0.1:9"


def _browser(tmp_path: Path) -> tuple[dict[str, str | None], Path]:
    opened = tmp_path / "opened-url"
    command = f"sh -c 'printf %s \"$0\" > {opened}' %s"
    return {"BROWSER": command, "HATCH_STAGE_TOKEN": None, "DISPLAY": None}, opened


def test_view_web_opens_the_review_page_without_a_token(tmp_path: Path) -> None:
    env, opened = _browser(tmp_path)
    stage_id = str(uuid.uuid4())
    done = run_cli(["view", stage_id, "--web", "--registry", REGISTRY, "--json"],
                   cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert opened.read_text() == f"{REGISTRY}/review/{stage_id}"
    assert done.json()["data"] == {"url": f"{REGISTRY}/review/{stage_id}", "opened": True}
    # with no registry configured: the page `hatch-stage serve` serves for the local store
    done = run_cli(["view", stage_id, "--web"], cwd=tmp_path,
                   env={**env, "HATCH_STAGE_REGISTRY": None})
    assert done.returncode == 0, done.stdout + done.stderr
    assert opened.read_text() == f"http://127.0.0.1:8694/review/{stage_id}"
    assert "hatch-stage serve" in done.stdout


def test_view_web_refuses_what_is_not_a_stage_id_or_an_npm_registry(tmp_path: Path) -> None:
    env, opened = _browser(tmp_path)
    done = run_cli(["view", "../../admin", "--web", "--registry", REGISTRY, "--json"],
                   cwd=tmp_path, env=env)
    assert done.returncode == 1 and done.json()["error_code"] == "invalid_stage_id"
    done = run_cli(["view", str(uuid.uuid4()), "--web", "--npm-registry", REGISTRY, "--json"],
                   cwd=tmp_path, env=env)
    assert done.returncode == 2 and "npm registries have none" in done.json()["error"]
    assert not opened.exists()
