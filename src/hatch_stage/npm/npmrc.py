"""Reading ``.npmrc`` the way npm does, for the registry URL and the token.

Files, nearest first: the project's ``.npmrc``, the workspace root's ``.npmrc`` (when the
project is a member), then the user's (``$NPM_CONFIG_USERCONFIG``, else ``~/.npmrc``). A key
in a nearer file wins. ``${VAR}`` in a value is replaced by the environment variable
(``${VAR?}`` by an empty string when it is unset; an unset ``${VAR}`` is an error, as in npm).

A token is looked up under the registry's ``//host[:port]/path/:_authToken`` key, then under
each shorter path of the same host, as npm does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from .registry import DEFAULT_REGISTRY, nerf_dart, validate_registry
from .workspace import find_root

_VARIABLE = re.compile(r"(\\*)\$\{([^${}?]+)(\?)?\}")


@dataclass(frozen=True)
class Npmrc:
    """The merged settings of every ``.npmrc`` that applies, with where each came from."""

    values: Mapping[str, str] = field(default_factory=dict)
    origins: Mapping[str, Path] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict, compare=False)

    def get(self, key: str) -> str | None:
        """The value of ``key`` with ``${VAR}`` expanded, or None."""
        if key not in self.values:
            return None
        return expand(self.values[key], self.environ, f"{key} in {self.origins[key]}")


def expand(text: str, environ: Mapping[str, str], where: str) -> str:
    """``text`` with ``${VAR}`` replaced from ``environ``; ``\\${VAR}`` stays literal.

    Backslashes before ``$`` pair up as in npm: an odd count escapes the reference.
    """

    def replace(match: re.Match[str]) -> str:
        slashes, name, optional = match.group(1), match.group(2), match.group(3)
        kept = slashes[: len(slashes) // 2]
        if len(slashes) % 2:
            return kept + match.group(0)[len(slashes):]
        if name in environ:
            return kept + environ[name]
        if optional:
            return kept
        raise ConfigError(f"{where} uses ${{{name}}}, but the environment variable {name} is "
                          "not set")

    return _VARIABLE.sub(replace, text)


def parse(path: Path) -> dict[str, str]:
    """The ``key=value`` lines of one ``.npmrc`` (comments, blanks and sections skipped)."""
    values: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not readable: {error}") from None
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith((";", "#", "[")) or "=" not in stripped:
            continue
        key, _, value = stripped.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def files(project_root: Path, environ: Mapping[str, str]) -> list[Path]:
    """The ``.npmrc`` files that apply to a project, nearest first."""
    candidates = [project_root / ".npmrc"]
    root = find_root(project_root)
    if root is not None and root != project_root:
        candidates.append(root / ".npmrc")
    user = environ.get("NPM_CONFIG_USERCONFIG") or environ.get("npm_config_userconfig")
    candidates.append(Path(user).expanduser() if user else Path.home() / ".npmrc")
    return [path for path in candidates if path.is_file()]


def load(project_root: Path, environ: Mapping[str, str] | None = None) -> Npmrc:
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    origins: dict[str, Path] = {}
    for path in reversed(files(project_root, environ)):
        for key, value in parse(path).items():
            values[key], origins[key] = value, path
    return Npmrc(values, origins, environ)


def configured_registry(flag: str | None, project_root: Path, package: str | None = None,
                        environ: Mapping[str, str] | None = None) -> str:
    """The registry to use: the flag, ``$npm_config_registry``, ``.npmrc`` (``@scope:registry``
    for a scoped package, else ``registry``), else the public npm registry. Validated."""
    environ = os.environ if environ is None else environ
    if flag:
        return validate_registry(flag)
    from_env = environ.get("NPM_CONFIG_REGISTRY") or environ.get("npm_config_registry")
    if from_env:
        return validate_registry(from_env)
    settings = load(project_root, environ)
    if package and package.startswith("@"):
        scoped = settings.get(f"{package.split('/')[0]}:registry")
        if scoped:
            return validate_registry(scoped)
    return validate_registry(settings.get("registry") or DEFAULT_REGISTRY)


def token_for(settings: Npmrc, registry: str) -> tuple[str, Path] | None:
    """The ``_authToken`` for ``registry`` and the file it came from, or None."""
    key = nerf_dart(registry)
    while True:
        name = f"{key}:_authToken"
        token = settings.get(name)
        if token:
            return token, settings.origins[name]
        if key.count("/") <= 3:  # "//host/" has no shorter path
            return None
        key = key[: key.rstrip("/").rfind("/") + 1]
