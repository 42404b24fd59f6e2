"""The stage registry behind ``hatch-stage serve``: PEP 694 sessions, stage previews, a live
simple index, the legacy upload API, OTP-gated approval and trusted publishing.

In-process use (the embedded default)::

    from hatch_stage.registry import Principal, Registry

    with Registry.open() as registry:            # default data directory, SQLite
        me = Principal.local()
        session = registry.create_session(me, "example", "1.0")
        ...                                      # upload, complete, review
        registry.publish(me, session.id, otp=None, digest=reviewed.digest)

The package has one direction, described in :mod:`.service`.
"""

from __future__ import annotations

from .problems import Problem
from .service import Registry
from .settings import RegistrySettings
from .storage import default_data_dir
from .views import Approval, Principal, SessionView

__all__ = ["Approval", "Principal", "Problem", "Registry", "RegistrySettings", "SessionView",
           "default_data_dir"]
