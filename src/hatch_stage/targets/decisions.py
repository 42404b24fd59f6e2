"""Approving or rejecting several staged releases with as few one-time passwords as possible.

Shared by every target: pnpm 12 approves several ids in one go, and so do we. A code is reused
while the registry accepts it; when the registry demands a fresh one (hatch-stage serve and
npm registries refuse a code twice), ``otp`` is asked again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import HatchStageError, OtpRequired
from .interface import StageClient


def decide_many(
    client: StageClient,
    action: str,
    stage_ids: Iterable[str],
    otp: Callable[[], str],
    code: str | None = None,
) -> list[dict[str, Any]]:
    """Approve (or reject) every id in turn; returns one result per id.

    :param otp: asked for a code when the registry wants one; it raises to give up, and
        returning the code that was just refused also gives up
    :param code: a code to try first (``--otp``)

    Every id is checked before any request. When a later id fails, the error says which ids
    were already decided.
    """
    ids = [client.check_id(stage_id) for stage_id in stage_ids]
    decide = client.approve if action == "approve" else client.reject
    results: list[dict[str, Any]] = []
    for stage_id in ids:
        while True:
            try:
                results.append({"stageId": stage_id, "result": dict(decide(stage_id, code))})
                break
            except OtpRequired as challenge:
                try:
                    fresh = otp()
                except HatchStageError as gave_up:  # no code to be had: say what was done
                    raise _after(gave_up, results, action) from None
                if fresh == code:
                    raise _after(challenge, results, action) from None
                code = fresh
            except HatchStageError as error:
                raise _after(error, results, action) from None
    return results


def _after(error: HatchStageError, done: list[dict[str, Any]], action: str) -> HatchStageError:
    if not done:
        return error
    ids = ", ".join(result["stageId"] for result in done)
    return type(error)(f"{error} (already {action}d: {ids})", code=error.code)
