"""Secrets at rest: the TOTP secrets and upstream tokens the registry must be able to read
back, sealed with a key only the server's environment holds.

Tokens are stored as hashes and need no key; a TOTP secret (to verify codes) and an upstream
token (to promote) must be read back, so whoever reads the database reads them, unless they
are sealed. With ``HATCH_STAGE_SECRET_KEY`` set (one or more Fernet keys, comma-separated:
the first seals, every one opens, so keys can be rotated) new secrets are stored sealed,
``hatch-stage admin secrets seal`` seals the ones stored before (and re-seals with the first
key), and the registry refuses to open a database whose sealed secrets its keys cannot open.
A sealed value is ``fernet:`` followed by the Fernet token (AES-128-CBC with HMAC-SHA256).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, Connection, Table, select, update

from ..errors import ConfigError
from . import schema
from .storage import Database

#: the environment variable holding the key(s)
KEY_VARIABLE = "HATCH_STAGE_SECRET_KEY"
#: what a sealed value starts with
PREFIX = "fernet:"


class Sealer:
    """Seals and opens stored secrets; without keys it stores them as they are."""

    def __init__(self, keys: Sequence[str] = ()) -> None:
        try:
            self._fernets = [Fernet(key.strip().encode()) for key in keys if key.strip()]
        except ValueError:
            raise ConfigError(f"{KEY_VARIABLE} must hold Fernet keys (32 url-safe base64 bytes, "
                              "comma-separated); make one with `hatch-stage admin secrets "
                              "key`") from None
        self._keys = MultiFernet(self._fernets) if self._fernets else None

    @classmethod
    def from_environment(cls) -> Sealer:
        return cls(os.environ.get(KEY_VARIABLE, "").split(","))

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    @property
    def active(self) -> bool:
        """Whether new secrets are sealed."""
        return self._keys is not None

    def seal(self, value: str) -> str:
        """What to store for ``value``: sealed with the first key, or as it is without keys."""
        if self._keys is None:
            return value
        return PREFIX + self._keys.encrypt(value.encode()).decode()

    def open(self, stored: str, what: str) -> str:
        """The secret ``stored`` holds; :class:`ConfigError` naming ``what`` when it is sealed
        with no key this sealer has."""
        if not is_sealed(stored):
            return stored
        if self._keys is None:
            raise ConfigError(f"{what} is sealed: set {KEY_VARIABLE} to the key it was sealed "
                              "with")
        try:
            return self._keys.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise ConfigError(f"{what} is sealed with a key {KEY_VARIABLE} does not hold"
                              ) from None

    def current(self, stored: str) -> bool:
        """Whether ``stored`` is sealed with the first key (nothing to do for ``seal``)."""
        if self._keys is None or not is_sealed(stored):
            return False
        try:
            self._fernets[0].decrypt(stored.removeprefix(PREFIX).encode())
        except InvalidToken:
            return False
        return True


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def _stored(connection: Connection) -> Iterator[tuple[Table, Column[object], object, str, str]]:
    """Every stored secret that must be read back: (table, secret column, row key, stored
    value, what it is)."""
    users, projects = schema.users, schema.projects
    for user in connection.execute(select(users.c.id, users.c.name, users.c.totp_secret)
                                   .where(users.c.totp_secret.is_not(None))):
        yield users, users.c.totp_secret, user.id, user.totp_secret, \
            f"the TOTP secret of user {user.name!r}"
    for project in connection.execute(select(projects.c.name, projects.c.upstream_token)
                                      .where(projects.c.upstream_token.is_not(None))):
        yield projects, projects.c.upstream_token, project.name, project.upstream_token, \
            f"the upstream token of project {project.name!r}"
    hooks = schema.webhooks
    for hook in connection.execute(select(hooks.c.id, hooks.c.secret)):
        yield hooks, hooks.c.secret, hook.id, hook.secret, f"the secret of webhook {hook.id}"


def check_readable(db: Database, sealer: Sealer) -> None:
    """:class:`ConfigError` at start when a sealed secret cannot be opened with the keys at
    hand (rather than a failure at the first approval)."""
    with db.read() as connection:
        for _, _, _, stored, what in _stored(connection):
            sealer.open(stored, what)


def seal_all(db: Database, sealer: Sealer) -> int:
    """Seal every secret stored unsealed, and re-seal with the first key those sealed with
    another; how many were changed."""
    if not sealer.active:
        raise ConfigError(f"set {KEY_VARIABLE} to seal the stored secrets (make a key with "
                          "`hatch-stage admin secrets key`)")
    changed = 0
    with db.write() as connection:
        for table, column, key, stored, what in list(_stored(connection)):
            if sealer.current(stored):
                continue
            primary = next(iter(table.primary_key.columns))
            connection.execute(update(table).where(primary == key)
                               .values({column.name: sealer.seal(sealer.open(stored, what))}))
            changed += 1
    return changed
