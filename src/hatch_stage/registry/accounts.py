"""Users, API tokens and one-time passwords.

A token is ``hst_`` followed by 43 random URL-safe characters: the prefix lets secret
scanners spot a leaked one, the rest is 256 bits of entropy, so the registry stores only its
sha256. A user enrols TOTP when created; publishing and canceling need a code that is valid
now and newer than the last one accepted for that user, so a code works once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyotp
from sqlalchemy import Connection, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import schema
from .problems import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    OtpRequired,
    Problem,
    TooManyAttempts,
    Unauthorized,
)
from .sealing import Sealer
from .storage import Database
from .views import ROLES, Principal, Role

#: every hatch-stage registry token starts with this
TOKEN_PREFIX = "hst_"
#: the request header that carries the one-time password
OTP_HEADER = "X-Hatch-Stage-OTP"
#: TOTP step length (RFC 6238 default, what authenticator apps use)
OTP_STEP = 30
#: wrong codes in a row after which a user's approvals pause for OTP_LOCKOUT seconds, so a
#: stolen maintain token cannot guess its way through a million codes
MAX_OTP_FAILURES = 5
OTP_LOCKOUT = 300
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: what an authenticator shows: six ASCII digits
_OTP_CODE = re.compile(r"[0-9]{6}")
_REFUSED = "the token is unknown, revoked or expired"


def token_digest(token: str) -> str:
    """What the database stores for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class NewUser:
    """A created user with the TOTP enrolment, shown once."""

    name: str
    totp_secret: str = field(repr=False)
    totp_uri: str = field(repr=False)


@dataclass(frozen=True)
class NewToken:
    """A created token, shown once."""

    id: int
    token: str = field(repr=False)
    projects: tuple[str, ...]
    role: Role
    expires_at: int | None


class Accounts:
    """Users, tokens and OTP checks over the registry database."""

    def __init__(self, db: Database, clock: Callable[[], float],
                 sealer: Sealer | None = None) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer or Sealer()

    # users ------------------------------------------------------------------------------

    def add_user(self, name: str) -> NewUser:
        """Create a user and enrol TOTP; the secret is returned this once."""
        if not _USER_NAME.fullmatch(name):
            raise BadRequest(f"{name!r} is not a valid user name (letters, digits, . _ -)")
        secret = pyotp.random_base32()
        try:
            with self.db.write() as connection:
                connection.execute(insert(schema.users).values(
                    name=name, totp_secret=self.sealer.seal(secret),
                    created_at=int(self.clock())))
        except IntegrityError:
            raise Conflict(f"user {name!r} already exists") from None
        uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name="hatch-stage")
        return NewUser(name, secret, uri)

    def users(self) -> list[dict[str, Any]]:
        """Every user (no secrets)."""
        with self.db.read() as connection:
            rows = connection.execute(select(schema.users).order_by(schema.users.c.name))
            return [{"name": row.name, "totp_enrolled": bool(row.totp_secret),
                     "created_at": row.created_at} for row in rows]

    def _user_id(self, connection: Connection, name: str) -> int:
        user_id = connection.execute(
            select(schema.users.c.id).where(schema.users.c.name == name)).scalar()
        if user_id is None:
            raise NotFound(f"no user {name!r}; create it with `hatch-stage admin user add {name}`")
        return int(user_id)

    # tokens -----------------------------------------------------------------------------

    def create_token(self, user: str, projects: Iterable[str], role: str,
                     expires_in: int | None = None) -> NewToken:
        """A token for ``user`` on ``projects`` (normalized names, or ``*``)."""
        if role not in ROLES:
            raise BadRequest(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        scope = tuple(sorted(set(projects)))
        if not scope:
            raise BadRequest("a token needs at least one project (or * for all)")
        with self.db.write() as connection:
            return self.issue(connection, scope, role, user_id=self._user_id(connection, user),
                              expires_in=expires_in)

    def issue(self, connection: Connection, projects: tuple[str, ...], role: Role, *,
              user_id: int | None = None, publisher_id: int | None = None,
              expires_in: int | None = None) -> NewToken:
        """Store a new token inside ``connection``'s transaction."""
        token = new_token()
        now = int(self.clock())
        expires_at = now + expires_in if expires_in else None
        result = connection.execute(insert(schema.tokens).values(
            token_hash=token_digest(token), user_id=user_id, publisher_id=publisher_id,
            projects=" ".join(projects), role=role, created_at=now, expires_at=expires_at))
        token_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
        return NewToken(int(token_id), token, projects, role, expires_at)

    def revoke_token(self, token_id: int) -> None:
        with self.db.write() as connection:
            result = connection.execute(
                update(schema.tokens).where(schema.tokens.c.id == token_id,
                                            schema.tokens.c.revoked_at.is_(None))
                .values(revoked_at=int(self.clock())))
            if result.rowcount != 1:
                raise NotFound(f"no active token with id {token_id}")

    def tokens(self, user: str | None = None) -> list[dict[str, Any]]:
        """Token records (never the tokens): id, user, projects, role, state."""
        query = (select(schema.tokens, schema.users.c.name.label("user"))
                 .outerjoin(schema.users, schema.users.c.id == schema.tokens.c.user_id)
                 .order_by(schema.tokens.c.id))
        if user is not None:
            query = query.where(schema.users.c.name == user)
        now = int(self.clock())
        with self.db.read() as connection:
            return [{
                "id": row.id,
                "user": row.user,
                "publisher": row.publisher_id,
                "projects": row.projects.split(),
                "role": row.role,
                "created_at": row.created_at,
                "expires_at": row.expires_at,
                "active": row.revoked_at is None
                and (row.expires_at is None or row.expires_at > now),
            } for row in connection.execute(query)]

    def authenticate(self, token: str) -> Principal:
        """The principal a token stands for; :class:`Unauthorized` if it is not usable."""
        if not token.startswith(TOKEN_PREFIX):
            raise Unauthorized(_REFUSED)
        with self.db.read() as connection:
            return self.principal_of(connection, schema.tokens.c.token_hash == token_digest(token))

    def principal_of(self, connection: Connection, which: Any) -> Principal:
        """The principal of the token row ``which`` selects (a condition on ``tokens``), if
        the token is still usable; else :class:`Unauthorized`."""
        query = (select(schema.tokens, schema.users.c.name.label("user"))
                 .outerjoin(schema.users, schema.users.c.id == schema.tokens.c.user_id)
                 .where(which))
        row = connection.execute(query).first()
        if row is None or row.revoked_at is not None:
            raise Unauthorized(_REFUSED)
        if row.expires_at is not None and row.expires_at <= self.clock():
            raise Unauthorized(_REFUSED)
        projects = frozenset(row.projects.split())
        if row.user_id is not None:
            return Principal(row.user, "user", row.role, projects, row.user_id, row.id)
        return Principal(f"publisher:{row.publisher_id}", "publisher", row.role, projects,
                         None, row.id)

    # one-time passwords -----------------------------------------------------------------

    def require_maintainer(self, principal: Principal) -> None:
        """:class:`Forbidden` unless the credentials may publish and cancel at all."""
        if principal.role != "maintain":
            raise Forbidden("this token may stage but not publish or cancel: approving and "
                            "rejecting need a maintain token and a one-time password")

    def check_otp(self, connection: Connection, principal: Principal,
                  code: str | None) -> Problem | None:
        """Accept ``code`` for the principal's user once, inside the caller's write
        transaction, so the code is spent only if the decision it authorizes commits.

        Raises :class:`Forbidden` / :class:`OtpRequired` when no code could do; returns None
        when the code is accepted (or none is needed), else the refusal (:class:`OtpRequired`,
        :class:`TooManyAttempts` after :data:`MAX_OTP_FAILURES` wrong codes in a row) for the
        caller to raise *after* committing, so the failure count sticks.
        """
        self.require_maintainer(principal)
        if principal.kind != "local" and principal.user_id is None:
            raise Forbidden("only a maintainer's own token may publish or cancel")
        # the user row stays locked (PostgreSQL FOR UPDATE) until the decision commits:
        # concurrent codes, on any instance, are evaluated one after the other, each seeing
        # the failures before it, so a lockout stops guessing after MAX_OTP_FAILURES codes
        # (SQLite: a write transaction already holds the whole database)
        users = select(schema.users).with_for_update()
        if principal.kind == "local":
            # the embedded store's owner decides without a code until they enrol TOTP
            # as the user of that name (`hatch-stage admin user add local`)
            row = connection.execute(users.where(schema.users.c.name == principal.actor)).first()
            if row is None or not row.totp_secret:
                return None
        else:
            row = connection.execute(users.where(schema.users.c.id == principal.user_id)).one()
        if not row.totp_secret:
            raise Forbidden(f"user {row.name!r} has no TOTP enrolled, so cannot publish")
        if not code:
            raise OtpRequired(f"a one-time password is required: send the current code from "
                              f"your authenticator in the {OTP_HEADER} header")
        return self._consume(connection, row, code.strip())

    def _consume(self, connection: Connection, row: Any, code: str) -> Problem | None:
        now = int(self.clock())
        users = schema.users
        locked = row.otp_failures >= MAX_OTP_FAILURES and row.otp_failed_at > now - OTP_LOCKOUT
        if locked:
            return TooManyAttempts("too many wrong one-time passwords; wait "
                                   f"{OTP_LOCKOUT // 60} minutes before trying again")
        secret = self.sealer.open(row.totp_secret, f"the TOTP secret of user {row.name!r}")
        step = self._matching_step(secret, code)
        if step is not None:
            # the condition makes the check-and-consume one atomic step across instances
            used = connection.execute(
                update(users)
                .where(users.c.id == row.id,
                       or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
                .values(totp_last_step=step, otp_failures=0))
            if used.rowcount == 1:
                return None
        connection.execute(update(users).where(users.c.id == row.id).values(
            otp_failures=users.c.otp_failures + 1, otp_failed_at=now))
        return OtpRequired("the one-time password is wrong, expired or already used; "
                           "wait for the next code and try again")

    def _matching_step(self, secret: str, code: str) -> int | None:
        if not _OTP_CODE.fullmatch(code):
            return None  # a wrong code all the same (it counts), but never compared
        totp = pyotp.TOTP(secret, interval=OTP_STEP)
        now = int(self.clock() // OTP_STEP)
        # one step either side absorbs clock drift, as authenticator apps expect
        for step in (now - 1, now, now + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None
