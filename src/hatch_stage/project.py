"""Reading the project being released: which ecosystem, which name, which version."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from .config import Config, tomllib
from .errors import ConfigError, PackError
from .models import Project, TargetKind


def detect_target(root: Path, config: Config) -> str:
    """The target ("python" or "npm"): the configured one, else what the directory holds."""
    if config.target:
        return config.target
    has_python = (root / "pyproject.toml").is_file()
    has_npm = (root / "package.json").is_file()
    if has_python and has_npm:
        raise ConfigError(
            f"{root} has both pyproject.toml and package.json: pass --target python or "
            "--target npm, or set [tool.hatch-stage] target"
        )
    if has_npm:
        return "npm"
    return "python"


#: target -> the manifest file that declares a project
MANIFESTS = {"python": "pyproject.toml", "npm": "package.json"}


def read_manifest(root: Path, target: str) -> dict[str, Any]:
    """The parsed pyproject.toml or package.json at ``root``; empty when there is none."""
    path = root / MANIFESTS[target]
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if target == "npm" else tomllib.loads(text)
    except (ValueError, UnicodeDecodeError) as error:  # TOMLDecodeError is a ValueError
        kind = "JSON" if target == "npm" else "TOML"
        raise ConfigError(f"{path} is not valid {kind}: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path} must hold an object")
    return document


#: files that make a directory a Python project (PEP 517 falls back to setup.py)
PYTHON_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


def is_python_project(root: Path) -> bool:
    return any((root / marker).is_file() for marker in PYTHON_MARKERS)


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _static_metadata(root: Path, manifest: dict[str, Any]) -> tuple[str, str]:
    """Name and version where they are written down; "" for what only the build knows."""
    project = _table(manifest.get("project"))
    if project:
        dynamic = project.get("dynamic") or []
        version = project.get("version") if "version" not in dynamic else ""
        return str(project.get("name") or ""), str(version or "")
    # poetry-core before PEP 621 support, and flit's old table
    poetry = _table(_table(manifest.get("tool")).get("poetry"))
    if poetry:
        return str(poetry.get("name") or ""), str(poetry.get("version") or "")
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        import configparser

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(setup_cfg, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return "", ""
        name = parser.get("metadata", "name", fallback="").strip()
        version = parser.get("metadata", "version", fallback="").strip()
        # "attr: pkg.__version__" and "file: VERSION" are for the build to resolve
        return name, "" if ":" in version else version
    return "", ""


def _python_project(root: Path) -> Project:
    """The project's name and version, as far as they can be known before it is built.

    Plain hatchling with its build requirements installed here resolves both exactly, dynamic
    versions included. Other projects give what their files state; a dynamic version (and the
    name of a setup.py-only project) is left empty and filled in from what the build produces.
    """
    from .pep517 import read_build_system
    from .pep517.inprocess import hatchling_metadata, in_process_ready

    manifest = read_manifest(root, "python")
    system = read_build_system(root, manifest)
    if in_process_ready(system):
        name, version = hatchling_metadata(root)
    else:
        name, version = _static_metadata(root, manifest)
    return Project(root=root, target="python", name=name, version=version, manifest=manifest)


def _npm_project(root: Path) -> Project:
    path = root / "package.json"
    manifest = read_manifest(root, "npm")
    name, version = manifest.get("name"), manifest.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        raise ConfigError(f'{path} must have a string "name" and "version"')
    return Project(root=root, target="npm", name=name, version=version, manifest=manifest)


def name_and_version_of(path: Path) -> tuple[str, str]:
    """Distribution name and version from a wheel or sdist file name."""
    try:
        if path.name.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(path.name)
        else:
            name, version = parse_sdist_filename(path.name)
    except (InvalidWheelFilename, InvalidSdistFilename) as error:
        raise PackError(f"{path.name}: not a valid wheel or sdist file name ({error})") from None
    return str(name), str(version)


def _prebuilt_project(root: Path, paths: Sequence[Path]) -> Project:
    releases = {name_and_version_of(path) for path in paths if not path.name.endswith(".tgz")}
    if len(releases) != 1:
        listed = ", ".join(sorted(f"{n} {v}" for n, v in releases)) or "none"
        raise PackError(
            f"the named artifacts must be one release of one project (found: {listed}); "
            "name the files of a single version"
        )
    ((name, version),) = releases
    return Project(root=root, target="python", name=name, version=version)


def load_project(root: Path, config: Config, paths: Sequence[Path] = ()) -> Project:
    """The project at ``root``; with prebuilt ``paths`` and no manifest, read from their names."""
    target = detect_target(root, config)
    if target == "npm":
        return _npm_project(root)
    if is_python_project(root):
        project = _python_project(root)
        for path in paths:
            if not path.name.endswith(".tgz"):
                check_release(project, path)
        if paths and not (project.name and project.version):
            # what the files say stands in for what only a build would tell
            named = _prebuilt_project(root, paths)
            return dataclasses.replace(project, name=named.name, version=named.version)
        return project
    if paths:
        return _prebuilt_project(root, paths)
    if (root / "package.json").is_file():
        raise ConfigError(
            f"{root} holds an npm project (package.json), not a Python one: for an npm release "
            "use --target npm and name its registry with --npm-registry (--registry names a "
            "Python stage registry)"
        )
    raise ConfigError(
        f"{root} has no pyproject.toml, setup.py or package.json, and no artifacts were named"
    )


def _same_version(one: str, other: str) -> bool:
    try:
        return Version(one) == Version(other)
    except InvalidVersion:
        return one == other


def check_release(project: Project, path: Path) -> None:
    """Refuse an artifact that is not of ``project``'s name and version (where known)."""
    name, version = name_and_version_of(path)
    same_name = not project.name or canonicalize_name(name) == canonicalize_name(project.name)
    same_version = not project.version or _same_version(version, project.version)
    if not (same_name and same_version):
        shown = f"{project.name or '?'} {project.version or '(version known once built)'}"
        raise PackError(
            f"{path.name} is {name} {version}, but the project in {project.root} is "
            f"{shown}; stage artifacts of this project's version"
        )


def declared_project(root: Path, target: str) -> Project:
    """The project at ``root`` as its manifest states it, for commands that build nothing.

    list, view, download, approve and reject may run in any directory: name and version are
    what ``[project]`` or package.json states (a dynamic version is not worked out), empty
    where there is no manifest. This is the project auth plugins get for those commands.
    """
    kind: TargetKind = "npm" if target == "npm" else "python"
    manifest = read_manifest(root, kind)
    fields = manifest if kind == "npm" else manifest.get("project", {})
    stated = fields if isinstance(fields, dict) else {}
    name, version = stated.get("name"), stated.get("version")
    return Project(
        root=root,
        target=kind,
        name=name if isinstance(name, str) else "",
        version=version if isinstance(version, str) else "",
        manifest=manifest,
    )
