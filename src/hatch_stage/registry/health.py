"""What ``GET /_/health`` reports: whether the database and the blob store answer.

A load balancer takes an instance out of rotation when either does not. The answer names
the part and the kind of failure, never a URL with a password or a credential.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from .context import Context


def _probe(check: Callable[[], object]) -> dict[str, Any]:
    try:
        check()
    except Exception as error:  # whatever the driver raises, the part is unavailable
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def check(ctx: Context) -> dict[str, dict[str, Any]]:
    """``{"database": {"ok", "error"?}, "storage": {"ok", "error"?}}``."""

    def database() -> None:
        with ctx.db.read() as connection:
            connection.execute(text("SELECT 1"))

    return {"database": _probe(database), "storage": _probe(ctx.blobs.check)}
