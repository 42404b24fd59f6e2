"""Approving or rejecting several staged releases with as few one-time passwords as possible.

Shared by every target: pnpm 12 approves several ids in one go, and so do we. Where the
registry decides a batch in one request (hatch-stage serve), one code covers the batch.
Otherwise each id is one request: a code is reused while the registry accepts it, and when
it demands a fresh one (npm registries refuse a code twice), ``otp`` is asked again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import HatchStageError, OtpRequired
from .interface import StageClient


def decide_many(
    client: StageClient,
    action: str,
    stage_ids: Iterable[str],
    otp: Callable[[], str],
    code: str | None = None,
    *,
    digests: Mapping[str, str] | None = None,
    allow_secrets: bool = False,
    labels: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Approve (or reject) every id in turn, in the order given; returns one result per id.

    :param otp: asked for a code when the registry wants one; it raises to give up, and
        returning the code that was just refused also gives up
    :param code: a code to try first (``--otp``)
    :param digests: stage id -> the digest its approval is bound to (what was reviewed)
    :param allow_secrets: approve despite findings of the registry's scan that block
    :param labels: stage id -> what to call it in a report (``name@version``)

    Every id is checked before any request. Where each id is its own request (npm), the
    first failure stops the batch, and the error says exactly which releases were decided
    (live, for an approval) and which were not: the one that failed and those not tried
    (also under ``data`` in ``--json``).
    """
    ids = [client.check_id(stage_id) for stage_id in stage_ids]
    bound = dict(digests or {})
    if len(ids) > 1:
        batch: list[dict[str, Any]] | None = _with_codes(
            lambda current: client.decide_batch(
                action, ids, current, bound, allow_secrets=allow_secrets
            ),
            otp,
            code,
        )
        if batch is not None:
            return batch
    results: list[dict[str, Any]] = []
    for index, stage_id in enumerate(ids):
        if action == "approve":
            decide: Callable[[str | None], Any] = functools.partial(
                client.approve, stage_id, digest=bound.get(stage_id), allow_secrets=allow_secrets
            )
        else:
            decide = functools.partial(client.reject, stage_id)
        try:
            result, code = _with_codes(decide, otp, code, keep_code=True)
        except HatchStageError as error:
            raise _after(error, results, ids[index:], action, labels or {}) from None
        results.append({"stageId": stage_id, "result": dict(result)})
    return results


def _with_codes(
    call: Callable[[str | None], Any],
    otp: Callable[[], str],
    code: str | None,
    keep_code: bool = False,
) -> Any:
    """``call(code)``, asking ``otp`` for a (fresh) code each time the registry wants one.

    With ``keep_code`` returns (result, the code that worked) so the next call can reuse it.
    """
    while True:
        try:
            result = call(code)
            return (result, code) if keep_code else result
        except OtpRequired as challenge:
            fresh = otp()
            if fresh == code:
                raise challenge from None
            code = fresh


def _after(error: HatchStageError, done: list[dict[str, Any]], left: list[str], action: str,
           labels: Mapping[str, str]) -> HatchStageError:
    """``error`` with the state of the batch it stopped: what was decided, what was not."""
    if not done:
        return error
    decided = [result["stageId"] for result in done]
    state, other = ("live", "not live") if action == "approve" else ("rejected", "still staged")

    def shown(stage_id: str, why: str = "") -> str:
        label = labels.get(stage_id)
        details = ", ".join(part for part in (stage_id if label else "", why) if part)
        return f"{label or stage_id} ({details})" if details else (label or stage_id)

    failed, untried = left[0], left[1:]
    noun = "approval" if action == "approve" else "rejection"
    pending = [shown(failed, f"its {noun} failed"),
               *(shown(stage_id, "not tried") for stage_id in untried)]
    stopped = type(error)(
        f"{error} (already {action}d: {', '.join(decided)}). {state.capitalize()} now: "
        f"{', '.join(shown(stage_id) for stage_id in decided)}; {other}: {', '.join(pending)}.",
        code=error.code)

    def entry(stage_id: str, why: str | None = None) -> dict[str, Any]:
        name, _, version = labels.get(stage_id, "").rpartition("@")
        return {"stageId": stage_id, "name": name or None, "version": version or None,
                **({"why": why} if why else {})}

    stopped.data = {
        state.replace(" ", "_"): [entry(stage_id) for stage_id in decided],
        other.replace(" ", "_"): [entry(failed, f"{noun} failed: {error}"),
                                  *(entry(stage_id, "not tried") for stage_id in untried)],
    }
    return stopped
