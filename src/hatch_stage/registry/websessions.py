"""Signing in to the review page: a maintain token and a one-time password open a short
browser session.

The cookie is 256 random bits; the database keeps only its sha256 (as it keeps tokens), the
token it was opened with, and the anti-forgery (CSRF) token its forms carry. Every request
checks the token again, so revoking the token, or its expiry, ends the sign-in at once; a
sign-in lasts :attr:`~.settings.RegistrySettings.review_session_lifetime` and is not
extended by use. Signing in spends the one-time password like an approval does: a code
works once, so deciding afterwards takes a later code.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select

from . import schema
from .context import Context
from .problems import BadRequest, Forbidden, Unauthorized
from .views import Principal

SIGNED_OUT = "you are not signed in, or your sign-in expired: sign in again"


@dataclass(frozen=True)
class WebSession:
    """One sign-in to the review page."""

    principal: Principal
    #: the anti-forgery token every form of this sign-in carries
    csrf: str = field(repr=False)
    expires_at: int
    #: the cookie value; only known right after signing in (the database has its hash)
    cookie: str = field(default="", repr=False)


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def sign_in(ctx: Context, token: str, otp: str) -> WebSession:
    """Open a sign-in for a maintainer's own token with a fresh one-time password."""
    if not token.strip():
        raise BadRequest("enter an API token")
    if not otp.strip():
        raise BadRequest("enter the one-time password from your authenticator")
    principal = ctx.accounts.authenticate(token.strip())
    ctx.accounts.require_maintainer(principal)
    if principal.kind != "user":
        raise Forbidden("sign in with a maintainer's own token")
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = ctx.now() + ctx.settings.review_session_lifetime
    with ctx.db.write() as connection:
        refusal = ctx.accounts.check_otp(connection, principal, otp)
        if refusal is None:
            connection.execute(insert(schema.web_sessions).values(
                id_hash=_hash(cookie), token_id=principal.token_id, csrf=csrf,
                created_at=ctx.now(), expires_at=expires))
    if refusal is not None:
        raise refusal  # after the commit: the wrong code's count sticks
    return WebSession(principal, csrf, expires, cookie)


def signed_in(ctx: Context, cookie: str) -> WebSession:
    """The sign-in behind a cookie; :class:`Unauthorized` when there is none (any more)."""
    table = schema.web_sessions
    with ctx.db.read() as connection:
        row = connection.execute(select(table).where(
            table.c.id_hash == _hash(cookie), table.c.expires_at > ctx.now())).first()
        if row is None:
            raise Unauthorized(SIGNED_OUT)
        principal = ctx.accounts.principal_of(connection, schema.tokens.c.id == row.token_id)
    return WebSession(principal, row.csrf, row.expires_at)


def sign_out(ctx: Context, cookie: str) -> None:
    with ctx.db.write() as connection:
        connection.execute(delete(schema.web_sessions)
                           .where(schema.web_sessions.c.id_hash == _hash(cookie)))


def sweep(ctx: Context) -> int:
    """Forget expired sign-ins."""
    with ctx.db.write() as connection:
        return connection.execute(delete(schema.web_sessions).where(
            schema.web_sessions.c.expires_at <= ctx.now())).rowcount or 0
