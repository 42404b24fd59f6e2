"""What every use case works with: the database, the blob store, the settings and the clock.

The use-case modules (:mod:`.sessions`, :mod:`.files`, :mod:`.publishing`, ...) are functions
over a :class:`Context`; :class:`~.service.Registry` is a thin facade that owns one and
delegates to them. Nothing below the facade knows it exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .accounts import Accounts
from .blobs import BlobStore
from .projects import Projects
from .sealing import Sealer
from .settings import RegistrySettings
from .storage import Database


class Context:
    """The registry's storage and settings, shared by every use case."""

    def __init__(self, db: Database, blobs: BlobStore, settings: RegistrySettings,
                 sealer: Sealer | None = None) -> None:
        self.db = db
        self.blobs = blobs
        self.settings = settings
        #: seals the secrets stored to be read back (the key from the environment)
        self.sealer = sealer or Sealer.from_environment()
        #: the time source; tests replace it to move through expiry and OTP steps
        self.clock: Callable[[], float] = time.time
        self.accounts = Accounts(db, lambda: self.clock(), self.sealer)
        self.projects = Projects(db, lambda: self.clock(), self.sealer)

    def now(self) -> int:
        """The current time in whole seconds (what the database stores)."""
        return int(self.clock())
