"""Building npm projects and running hatch-stage's pipeline on them, for the npm tests."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hatch_stage import config as config_module
from hatch_stage.pipeline import Pipeline, StageReport
from hatch_stage.project import load_project

README = """# {name}

A small package used by hatch-stage's tests: it shows what a well-kept npm package ships,
with types, entry points, engines, tests, a license and a link to its repository.

## Installation

    npm install {name}

## Usage

    const {{ hello }} = require("{name}");
    hello();
"""


def write_package(directory: Path, manifest: Mapping[str, Any], files: Mapping[str, str]) -> Path:
    """A package directory with ``package.json`` and ``files`` (path -> text)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def write_workspace(root: Path, workspace_yaml: str, root_manifest: Mapping[str, Any]) -> Path:
    """A pnpm workspace root in its own repository (so the search for a root stops there)."""
    (root / ".git").mkdir(parents=True)
    (root / "pnpm-workspace.yaml").write_text(workspace_yaml, encoding="utf-8")
    return write_package(root, root_manifest, {})


def well_kept(name: str, version: str, **extra: Any) -> dict[str, Any]:
    """A manifest that earns every npm quality point."""
    manifest: dict[str, Any] = {
        "name": name,
        "version": version,
        "description": f"{name}, staged by hatch-stage's tests",
        "main": "index.js",
        "types": "index.d.ts",
        "exports": {".": {"types": "./index.d.ts", "default": "./index.js"}},
        "files": ["index.js", "index.d.ts"],
        "engines": {"node": ">=18"},
        "scripts": {"test": "node --test"},
        "license": "MIT",
        "repository": {"type": "git", "url": "git+https://example.org/team/repo.git"},
    }
    manifest.update(extra)
    return manifest


def well_kept_files(name: str) -> dict[str, str]:
    return {
        "index.js": "exports.hello = () => 'hello';\n",
        "index.d.ts": "export declare function hello(): string;\n",
        "README.md": README.format(name=name),
        "LICENSE": "MIT License\n\nCopyright (c) the hatch-stage tests\n",
    }


def pipeline_for(root: Path, **flags: Any) -> Pipeline:
    """The real pipeline for the npm project at ``root``, plugins loaded as the CLI loads them."""
    config = config_module.load(root, {"target": "npm", **flags})
    project = load_project(root, config)
    return Pipeline(project, config)


def stage(root: Path, registry: str, workdir: Path, **flags: Any) -> StageReport:
    """pack, rewrite, scan, score, then auth and upload to ``registry``."""
    pipeline = pipeline_for(root, **flags)
    report = pipeline.prepare([], workdir, dry_run=False)
    assert not report.blockers, report.blockers
    return pipeline.stage(report, registry)


def members(tarball: Path) -> dict[str, tuple[bytes, int, int]]:
    """Member name -> (bytes, mode, mtime), in archive order."""
    found: dict[str, tuple[bytes, int, int]] = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for info in archive:
            stream = archive.extractfile(info)
            found[info.name] = (stream.read() if stream else b"", info.mode, int(info.mtime))
    return found


def manifest_of(tarball: Path) -> Mapping[str, Any]:
    import json

    return json.loads(members(tarball)["package/package.json"][0])
