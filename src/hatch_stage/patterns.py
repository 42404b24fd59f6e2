"""Regular expressions compiled the first time they are used.

Compiling costs a tenth of a millisecond or more a pattern, and a module with a dozen pays it
at every start-up, also when the run never uses them (a ``check`` whose scan cache knows every
member judges no finding and reads no credential file). :func:`lazy` gives what behaves as
the compiled pattern and compiles it at its first use.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, cast

#: the pattern's methods, looked up once compiled like an instance's own attributes
_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class _OnFirstUse:
    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._source: tuple[Any, int] = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        compiled = re.compile(*self._source)
        # every later call finds the compiled pattern's methods without this hook
        self.__dict__.update({method: getattr(compiled, method) for method in _METHODS})
        return getattr(compiled, name)


def lazy(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, compiled when first used."""
    return cast("re.Pattern[AnyStr]", _OnFirstUse(pattern, flags))
