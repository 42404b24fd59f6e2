"""Reading the project being released: which ecosystem, which name, which version."""

from __future__ import annotations

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
from packaging.version import Version

from .config import Config, tomllib
from .errors import ConfigError, PackError
from .models import Project


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


def _python_project(root: Path) -> Project:
    pyproject = root / "pyproject.toml"
    try:
        manifest: dict[str, Any] = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{pyproject} is not valid TOML: {error}") from None
    # hatchling resolves dynamic versions (version files, VCS, build hooks) the way the build
    # will, so the version we check is the version that ships
    from hatchling.metadata.core import ProjectMetadata
    from hatchling.plugin.manager import PluginManager

    try:
        metadata = ProjectMetadata(str(root), PluginManager())
        name, version = metadata.core.name, metadata.version
    except Exception as error:  # hatchling raises plain ValueError/TypeError for bad metadata
        raise PackError(f"cannot read the project metadata in {pyproject}: {error}") from None
    return Project(root=root, target="python", name=name, version=version, manifest=manifest)


def _npm_project(root: Path) -> Project:
    path = root / "package.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid JSON: {error}") from None
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
    if (root / "pyproject.toml").is_file():
        project = _python_project(root)
        for path in paths:
            if path.name.endswith(".tgz"):
                continue
            name, version = name_and_version_of(path)
            same_name = canonicalize_name(name) == canonicalize_name(project.name)
            if not same_name or Version(version) != Version(project.version):
                raise PackError(
                    f"{path.name} is {name} {version}, but the project in {root} is "
                    f"{project.name} {project.version}; stage artifacts of this project's version"
                )
        return project
    if paths:
        return _prebuilt_project(root, paths)
    raise ConfigError(f"{root} has no pyproject.toml or package.json, and no artifacts were named")
