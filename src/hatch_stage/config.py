"""Settings: ``[tool.hatch-stage]``, environment variables and flags, merged and validated once.

Precedence, highest first: command-line flags, ``HATCH_STAGE_*`` environment variables,
``[tool.hatch-stage]`` in pyproject.toml (or ``"hatch-stage"`` in package.json), defaults.
Every key is validated where it is read; an unknown key is an error naming the key, so a
typo never silently does nothing.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["Config", "ScanLimits", "load", "parse_table", "read_project_table", "tomllib"]

PIN_STYLES = ("exact", "compatible", "minimum")
TARGETS = ("python", "npm")
ACCESS = ("public", "restricted")
SCAN_MODES = ("default", "exact")


@dataclass(frozen=True)
class ScanLimits:
    """Bounds applied to every archive before anything in it is read."""

    #: largest single member, uncompressed
    max_member_bytes: int = 64 * 1024 * 1024
    #: largest sum of all members of one artifact, uncompressed
    max_total_bytes: int = 512 * 1024 * 1024
    #: largest uncompressed/compressed ratio of one artifact (zip bombs)
    max_ratio: int = 200
    #: most members in one artifact
    max_members: int = 100_000


@dataclass(frozen=True)
class Config:
    """Everything a stage may need to know about how the user wants this release handled."""

    #: "python" or "npm"; None means: decide from the project directory
    target: str | None = None
    #: plugin names not to load (built-in or outside)
    disable: tuple[str, ...] = ()
    #: the registry URL; None means the embedded local registry
    registry: str | None = None
    #: dist-tag (npm) or release channel label (Python); None means "latest"
    tag: str | None = None
    #: "public" or "restricted" (npm)
    access: str | None = None
    #: the lowest acceptable quality score, or None for no gate
    min_score: int | None = None
    #: skip the secret scan's verdict (findings are still reported)
    allow_secrets: bool = False
    #: block on every secret finding, low confidence too
    strict: bool = False
    #: "default" (confidence rules, provider detectors, known non-secrets dropped) or "exact"
    #: (detect-secrets' findings exactly, each one blocking)
    scan_mode: str = "default"
    #: file paths (fnmatch patterns) a team has reviewed: they may ship although their name or
    #: content marks them as credential files; secrets inside them are still scanned
    accept_files: tuple[str, ...] = ()
    #: True/False forces provenance on/off; None follows the environment
    provenance: bool | None = None
    #: a pre-made attestation or bundle to attach instead of signing
    provenance_file: Path | None = None
    #: a sigstore client trust config (JSON, as ``sigstore --trust-config`` takes) naming a
    #: private Sigstore instance to sign with; None: the public one (production)
    sigstore_trust_config: Path | None = None
    #: how a workspace dependency is pinned: "exact" (==), "compatible" (~=), "minimum" (>=)
    pin: str = "exact"
    #: the default catalog: distribution name -> version specifier
    catalog: Mapping[str, str] = field(default_factory=dict)
    #: named catalogs: catalog name -> (distribution name -> version specifier)
    catalogs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: per-dependency sources: distribution name -> {"catalog": true | "<catalog name>"}
    sources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: extra file-name patterns that must never ship (fnmatch, matched on the base name)
    blocked_files: tuple[str, ...] = ()
    #: a detect-secrets baseline whose known secrets are not reported
    baseline: Path | None = None
    #: archive bounds for the scanner
    limits: ScanLimits = field(default_factory=ScanLimits)
    #: answer yes to confirmation prompts
    yes: bool = False
    #: acknowledge staging a version below the highest published stable one
    allow_lower: bool = False
    #: build in an isolated, cached build environment (False: in hatch-stage's own
    #: interpreter, which must then hold the build requirements)
    isolation: bool = True
    #: build the wheel even when it needs a compiler (by default such projects are checked
    #: on their sdist)
    wheel: bool = False
    #: the command being run ("check", "publish"), so advice names the right one; not a setting
    command: str = "publish"

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    @property
    def exact_scan(self) -> bool:
        """Whether findings must be exactly detect-secrets' (``scan-mode = "exact"``)."""
        return self.scan_mode == "exact"

    @property
    def strict_gate(self) -> bool:
        """Whether every finding blocks: ``strict``, and always in the exact scan mode."""
        return self.strict or self.exact_scan


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key} must be a non-empty string, not {value!r}")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def parse(key: str, value: Any) -> str:
        if value not in choices:
            raise ConfigError(f"{key} must be one of {', '.join(choices)}, not {value!r}")
        return str(value)

    return parse


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in (
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
    ):
        return value.lower() in ("1", "true", "yes", "on")
    raise ConfigError(f"{key} must be true or false, not {value!r}")


def _score(key: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a whole number from 0 to 100, not {value!r}") from None
    if isinstance(value, bool) or not 0 <= number <= 100 or str(number) != str(value).strip():
        raise ConfigError(f"{key} must be a whole number from 0 to 100, not {value!r}")
    return number


def _names(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{key} must be a list of names, not {value!r}")
    return tuple(value)


def _specifiers(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError(f'{key} must be a table of name = "specifier", not {value!r}')
    result: dict[str, str] = {}
    for name, spec in value.items():
        if not isinstance(spec, str):
            raise ConfigError(f"{key}.{name} must be a version specifier string, not {spec!r}")
        result[str(name)] = spec
    return result


def _catalogs(key: str, value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key} must be a table of catalogs, not {value!r}")
    return {str(name): _specifiers(f"{key}.{name}", table) for name, table in value.items()}


def _sources(key: str, value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise ConfigError(f"{key} must be a table of name = {{ catalog = ... }}, not {value!r}")
    return {str(name): dict(table) for name, table in value.items()}


def _path(key: str, value: Any) -> Path:
    return Path(_string(key, value))


def _limits(key: str, value: Any) -> ScanLimits:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key} must be a table, not {value!r}")
    known = {f.name.replace("_", "-"): f.name for f in dataclasses.fields(ScanLimits)}
    values: dict[str, int] = {}
    for name, number in value.items():
        if name not in known:
            raise ConfigError(f"unknown key {key}.{name}; known keys: {', '.join(sorted(known))}")
        if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
            raise ConfigError(f"{key}.{name} must be a positive whole number, not {number!r}")
        values[known[name]] = number
    return ScanLimits(**values)


#: pyproject key -> (Config field, parser)
_KEYS: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
    "target": ("target", _choice(TARGETS)),
    "disable": ("disable", _names),
    "registry": ("registry", _string),
    "tag": ("tag", _string),
    "access": ("access", _choice(ACCESS)),
    "min-score": ("min_score", _score),
    "allow-secrets": ("allow_secrets", _bool),
    "strict": ("strict", _bool),
    "scan-mode": ("scan_mode", _choice(SCAN_MODES)),
    "accept-files": ("accept_files", _names),
    "provenance": ("provenance", _bool),
    "provenance-file": ("provenance_file", _path),
    "sigstore-trust-config": ("sigstore_trust_config", _path),
    "pin": ("pin", _choice(PIN_STYLES)),
    "catalog": ("catalog", _specifiers),
    "catalogs": ("catalogs", _catalogs),
    "sources": ("sources", _sources),
    "blocked-files": ("blocked_files", _names),
    "baseline": ("baseline", _path),
    "limits": ("limits", _limits),
    "yes": ("yes", _bool),
    "allow-lower": ("allow_lower", _bool),
    "isolation": ("isolation", _bool),
    "wheel": ("wheel", _bool),
}

#: environment variable -> pyproject key
ENVIRONMENT = {
    "HATCH_STAGE_TARGET": "target",
    "HATCH_STAGE_DISABLE": "disable",
    "HATCH_STAGE_REGISTRY": "registry",
    "HATCH_STAGE_MIN_SCORE": "min-score",
    "HATCH_STAGE_ALLOW_SECRETS": "allow-secrets",
    "HATCH_STAGE_STRICT": "strict",
    "HATCH_STAGE_SCAN_MODE": "scan-mode",
    "HATCH_STAGE_SIGSTORE_TRUST_CONFIG": "sigstore-trust-config",
}


def parse_table(table: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """Validate one source of settings into Config field values; ``origin`` names it in errors."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _KEYS:
            raise ConfigError(
                f"unknown setting {key!r} in {origin}; known settings: {', '.join(sorted(_KEYS))}"
            )
        attribute, parser = _KEYS[key]
        values[attribute] = parser(f"{origin} {key}", value)
    return values


def read_project_table(root: Path) -> dict[str, Any]:
    """The raw ``[tool.hatch-stage]`` table of the project at ``root`` (empty if none)."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{pyproject} is not valid TOML: {error}") from None
    table = document.get("tool", {}).get("hatch-stage", {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"[tool.hatch-stage] in {pyproject} must be a table")
    return dict(table)


def load(
    root: Path,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Merge defaults < project table < environment < flags into one validated Config.

    ``flags`` uses pyproject key names; a value of None means "flag not given".
    """
    environ = os.environ if environ is None else environ
    values = parse_table(read_project_table(root), "[tool.hatch-stage]")
    from_env = {key: environ[var] for var, key in ENVIRONMENT.items() if environ.get(var)}
    values.update(parse_table(from_env, "environment"))
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    values.update(parse_table(given, "command line"))
    config = Config(**values)
    if config.provenance is False and config.provenance_file is not None:
        raise ConfigError("--no-provenance and --provenance-file cannot be used together")
    if config.provenance_file is not None and not config.provenance_file.is_absolute():
        config = config.replace(provenance_file=root / config.provenance_file)
    trust = config.sigstore_trust_config
    if trust is not None and not trust.is_absolute():
        config = config.replace(sigstore_trust_config=root / trust)
    if config.baseline is None and (root / ".secrets.baseline").is_file():
        config = config.replace(baseline=root / ".secrets.baseline")
    elif config.baseline is not None and not config.baseline.is_absolute():
        config = config.replace(baseline=root / config.baseline)
    return config
