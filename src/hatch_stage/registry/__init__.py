"""The stage registry behind ``hatch-stage serve``: PEP 694 sessions, stage previews, a live
simple index, the legacy upload API, OTP-gated approval and trusted publishing.

In-process use (the embedded default)::

    from hatch_stage.registry import Principal, Registry

    with Registry.open() as registry:            # default data directory, SQLite
        me = Principal.local()
        session = registry.create_session(me, "example", "1.0")
"""

from __future__ import annotations

from .problems import Problem
from .service import Registry, RegistrySettings
from .storage import default_data_dir
from .views import Principal, SessionView

__all__ = ["Principal", "Problem", "Registry", "RegistrySettings", "SessionView",
           "default_data_dir"]
