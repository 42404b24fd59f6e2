"""Quality scoring of Python releases: what ships (:mod:`.shipped`) and the checks (:mod:`.rules`).

Outside scorers may use :func:`read_shipped` to get the same view of a release the built-in
checks judge, instead of opening archives themselves.
"""

from __future__ import annotations

from .rules import RULES, Rule
from .shipped import Shipped, read_shipped
from .urls import label_kind, normalize_label, url_kinds

__all__ = [
    "RULES", "Rule", "Shipped", "label_kind", "normalize_label", "read_shipped", "url_kinds"
]
