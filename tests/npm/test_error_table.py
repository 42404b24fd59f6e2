"""Issue 11, items 11 and 12: one table of registry answers for both targets.

Item 12: each status gives the same ``error_code`` from the PEP 694 client and the npm
client, and that code is the one the README's ``--json`` table documents (the test reads
the table). Item 11: an approval the registry failed with a 5xx is never resent, so it may
have been applied: single or batch, on either target, the message says so and names the
command to check with, instead of "try again later".

A scriptable HTTP server on 127.0.0.1 (:mod:`npm_standin`) plays both registries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from npm_standin import StandIn, serve

from hatch_stage.errors import HatchStageError
from hatch_stage.models import Credentials
from hatch_stage.targets.decisions import decide_many
from hatch_stage.targets.interface import StageClient
from hatch_stage.targets.npm import NpmStageClient
from hatch_stage.targets.pep694 import Pep694Client

README = Path(__file__).resolve().parents[2] / "README.md"
NPM_ID = "0b3e8f2a-6c1d-4e5f-8a9b-0c1d2e3f4a5b"
NPM_OTHER = "1c4f9a3b-7d2e-4f60-9b0c-1d2e3f4a5b6c"
PYTHON_ID = "pythonstage0001"
PYTHON_OTHER = "pythonstage0002"
TOKEN = "hst_ErrorTableTokenErrorTableTokenErrorTab"
#: answers come at once: no Retry-After wait slows the retried requests
NOW = {"Retry-After": "0"}


def documented() -> dict[str, str]:
    """Status ("401", "5xx", "other") -> error_code, from the README's --json table."""
    table: dict[str, str] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        row = re.match(r"^\| (\d{3}|5xx|any other status) \| `(\w+)`", line)
        if row:
            table[row[1].replace("any other status", "other")] = row[2]
    return table


@pytest.fixture
def registry() -> Iterator[StandIn]:
    yield from serve()


def clients(registry: StandIn) -> dict[str, tuple[StageClient, str, str]]:
    """target -> (client, a stage id, another stage id)"""
    credentials = Credentials(TOKEN, "env")
    return {
        "python": (Pep694Client(registry.url.rstrip("/"), credentials), PYTHON_ID, PYTHON_OTHER),
        "npm": (NpmStageClient(registry.url, credentials), NPM_ID, NPM_OTHER),
    }


def answer_all(registry: StandIn, status: int) -> None:
    body = {"error": "the registry says no", "detail": "the registry says no"}
    for method, path in (
        ("GET", f"/upload/2.0/sessions/{PYTHON_ID}"),
        ("POST", f"/upload/2.0/sessions/{PYTHON_ID}/publish"),
        ("GET", f"/-/stage/{NPM_ID}"),
        ("POST", f"/-/stage/{NPM_ID}/approve"),
    ):
        registry.routes[(method, path)] = lambda seen: (status, NOW, body)


def failure(call: Callable[[], Any]) -> HatchStageError:
    with pytest.raises(HatchStageError) as failed:
        call()
    assert TOKEN not in str(failed.value)
    return failed.value


def test_the_readme_documents_every_status() -> None:
    assert documented() == {
        "401": "auth_failed", "403": "forbidden", "404": "not_found", "409": "conflict",
        "429": "rate_limited", "5xx": "registry_unavailable", "other": "registry_error"}


@pytest.mark.parametrize("status", [401, 403, 404, 409, 418, 429, 500, 502, 503])
@pytest.mark.parametrize("action", ["view", "approve"])
def test_one_status_one_error_code_on_both_targets(
    registry: StandIn, status: int, action: str
) -> None:
    answer_all(registry, status)
    row = "5xx" if status >= 500 else str(status) if str(status) in documented() else "other"
    codes = {}
    for target, (client, stage_id, _) in clients(registry).items():
        if action == "view":
            error = failure(lambda: client.view(stage_id))  # noqa: B023 - called at once
        else:
            error = failure(lambda: client.approve(stage_id, "123456"))  # noqa: B023
        codes[target] = error.code
    assert codes == {"python": documented()[row], "npm": documented()[row]}


@pytest.mark.parametrize("target", ["python", "npm"])
def test_an_approval_failed_with_a_5xx_may_have_been_applied(
    registry: StandIn, target: str
) -> None:
    answer_all(registry, 503)
    client, stage_id, _ = clients(registry)[target]
    error = failure(lambda: client.approve(stage_id, "123456"))
    message = str(error)
    assert error.code == "registry_unavailable"
    assert "may have done it" in message and "not sent again" in message
    assert f"Check with `hatch-stage view {stage_id}`" in message
    assert "try again later" not in message
    approvals = [seen for seen in registry.seen if seen.method == "POST"]
    assert len(approvals) == 1, "an approval carrying a one-time password is sent once"

    # reading is safe to repeat: retried, then "try again later"
    viewed = str(failure(lambda: client.view(stage_id)))
    assert "kept failing (503" in viewed and "try again later" in viewed


def test_a_batch_the_registry_failed_on_may_have_been_applied(registry: StandIn) -> None:
    """hatch-stage serve decides a batch in one request; npm registries one id at a time."""
    registry.routes[("POST", "/upload/2.0/decisions")] = lambda seen: (503, NOW, {})
    python, first, second = clients(registry)["python"]
    message = str(failure(lambda: decide_many(python, "approve", [first, second],
                                              lambda: "123456", code="123456")))
    assert "may have done it" in message and "`hatch-stage list`" in message
    assert "try again later" not in message
    assert registry.paths() == ["POST /upload/2.0/decisions"]

    registry.seen.clear()
    npm, first, second = clients(registry)["npm"]
    registry.routes[("POST", f"/-/stage/{first}/approve")] = (
        lambda seen: (201, {}, {"message": "approved"}))
    registry.routes[("POST", f"/-/stage/{second}/approve")] = lambda seen: (503, NOW, {})
    error = failure(lambda: decide_many(npm, "approve", [first, second], lambda: "123456",
                                        code="123456"))
    message = str(error)
    assert error.code == "registry_unavailable"
    assert "may have done it" in message and f"`hatch-stage view {second}`" in message
    assert f"(already approved: {first})" in message and "try again later" not in message
    assert registry.paths() == [f"POST /-/stage/{first}/approve",
                                f"POST /-/stage/{second}/approve"]
