"""The built-in ``workspace-rewrite`` plugin on real hatch and uv workspaces.

Every artifact here is a real hatchling build of a fixture workspace (tests/fixtures/workspaces):
``packages/app`` depends on ``packages/core``, whose version (1.4.2) is dynamic. The wheel the
real ``hatch-stage publish --dry-run --out`` keeps is installed with pip into a real virtual env.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from clitools import FIXTURES, run_cli

from hatch_stage.config import Config, load, tomllib
from hatch_stage.errors import ArchiveError, RewriteError
from hatch_stage.models import Artifact, Project
from hatch_stage.plugins.python_pack import build
from hatch_stage.plugins.workspace_rewrite import hatch_stage_rewrite
from hatch_stage.project import load_project
from hatch_stage.rewrite.pins import Pinner, pin_specifier, replace_specifier
from hatch_stage.rewrite.tomltext import rewrite_dependencies

WORKSPACES = FIXTURES / "workspaces"
METADATA = "app-0.3.0.dist-info/METADATA"
RECORD = "app-0.3.0.dist-info/RECORD"
PINNED_REQUIRES = [
    "Requires-Dist: core==1.4.2",
    "Requires-Dist: core[cli]==1.4.2; (python_version >= '3.9') and extra == 'cli'",
]


def copy_workspace(kind: str, tmp_path: Path) -> Path:
    """A private copy of a fixture workspace, inside its own git repository root."""
    root = tmp_path / kind
    shutil.copytree(WORKSPACES / kind, root)
    (root / ".git").mkdir()  # the workspace search stops here, as it would in a real checkout
    return root


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def rewrite(
    member: Path, tmp_path: Path, **settings: object
) -> dict[str, tuple[Artifact, Artifact | None]]:
    """Build ``member`` and run the plugin on each artifact: kind -> (packed, rewritten or None)."""
    config = load(member).replace(**settings)
    project = load_project(member, config)
    workdir = tmp_path / f"work-{member.name}"
    packed = build(member, workdir / "packed")
    return {
        artifact.kind: (
            artifact,
            hatch_stage_rewrite(artifact=artifact, project=project, config=config, workdir=workdir),
        )
        for artifact in packed
    }


def rewrite_error(member: Path, tmp_path: Path) -> str:
    """The message of the RewriteError that rewriting ``member`` raises."""
    with pytest.raises(RewriteError) as caught:
        rewrite(member, tmp_path)
    return str(caught.value)


def rewritten(member: Path, tmp_path: Path, kind: str = "wheel", **settings: object) -> Artifact:
    result = rewrite(member, tmp_path, **settings)[kind][1]
    assert result is not None
    return result


def requires_dist(wheel: Artifact) -> list[str]:
    with zipfile.ZipFile(wheel.path) as archive:
        text = archive.read(METADATA).decode()
    return [line for line in text.splitlines() if line.startswith("Requires-Dist:")]


def assert_record_valid(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        rows = list(csv.reader(io.StringIO(archive.read(RECORD).decode())))
        assert {row[0] for row in rows} == set(archive.namelist())
        for name, digest, size in rows:
            if name == RECORD:
                assert (digest, size) == ("", "")
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}", name
            assert int(size) == len(data), name


# --- workspace members -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["hatch", "uv"])
def test_wheel_pins_member_and_keeps_record_valid(kind: str, tmp_path: Path) -> None:
    root = copy_workspace(kind, tmp_path)
    packed, new = rewrite(root / "packages" / "app", tmp_path)["wheel"]
    assert new is not None
    assert requires_dist(new) == PINNED_REQUIRES
    assert_record_valid(new.path)
    # a new file with the same name; the packed one is untouched and still unpinned
    assert new.path != packed.path and new.filename == packed.filename
    assert new.path.is_relative_to(tmp_path / "work-app")
    assert requires_dist(packed) == [
        "Requires-Dist: core",
        PINNED_REQUIRES[1].replace("==1.4.2", ""),
    ]
    with zipfile.ZipFile(packed.path) as old, zipfile.ZipFile(new.path) as out:
        assert out.namelist() == old.namelist()
        for before, after in zip(old.infolist(), out.infolist(), strict=True):
            assert (after.date_time, after.compress_type, after.external_attr) == (
                before.date_time,
                before.compress_type,
                before.external_attr,
            )
            if before.filename not in (METADATA, RECORD):
                assert out.read(after) == old.read(before)


def tar_entries(path: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(path) as archive:
        return [(info, archive.extractfile(info).read()) for info in archive]  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["hatch", "uv"])
def test_sdist_pins_pkg_info_and_pyproject_and_nothing_else(kind: str, tmp_path: Path) -> None:
    root = copy_workspace(kind, tmp_path)
    packed, new = rewrite(root / "packages" / "app", tmp_path)["sdist"]
    assert new is not None and new.filename == packed.filename
    before, after = tar_entries(packed.path), tar_entries(new.path)
    assert [info.name for info, _ in after] == [info.name for info, _ in before]
    changed = {}
    for (old_info, old_data), (new_info, new_data) in zip(before, after, strict=True):
        for field in ("mode", "mtime", "uid", "gid", "uname", "gname", "type"):
            assert getattr(new_info, field) == getattr(old_info, field), (old_info.name, field)
        if new_data != old_data:
            changed[old_info.name] = (old_data.decode(), new_data.decode())
    assert sorted(changed) == ["app-0.3.0/PKG-INFO", "app-0.3.0/pyproject.toml"]
    pkg_info = changed["app-0.3.0/PKG-INFO"][1].splitlines()
    assert [line for line in pkg_info if line.startswith("Requires-Dist")] == PINNED_REQUIRES
    # pyproject.toml: exactly the two dependency lines differ, everything else byte for byte
    old_text, new_text = changed["app-0.3.0/pyproject.toml"]
    old_lines, new_lines = old_text.splitlines(True), new_text.splitlines(True)
    differences = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert differences == [
        ('    "core",\n', '    "core==1.4.2",\n'),
        (
            "cli = ['core[cli] ; python_version >= \"3.9\"']\n",
            "cli = ['core[cli]==1.4.2 ; python_version >= \"3.9\"']\n",
        ),
    ]
    assert new.path.read_bytes()[4:8] == packed.path.read_bytes()[4:8]  # gzip timestamp kept


def test_rewritten_sdist_builds_a_pinned_wheel(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    sdist = rewritten(root / "packages" / "app", tmp_path, kind="sdist")
    unpacked = tmp_path / "unpacked"
    with tarfile.open(sdist.path) as archive:
        archive.extractall(unpacked, filter="data")
    built = build(unpacked / "app-0.3.0", tmp_path / "from-sdist")
    wheel = next(artifact for artifact in built if artifact.kind == "wheel")
    assert requires_dist(wheel) == PINNED_REQUIRES


@pytest.mark.parametrize(
    ("pin", "expected"),
    [("exact", "core==1.4.2"), ("compatible", "core~=1.4.2"), ("minimum", "core>=1.4.2")],
)
def test_pin_styles(pin: str, expected: str, tmp_path: Path) -> None:
    root = copy_workspace("hatch", tmp_path)
    app = root / "packages" / "app"
    append(app / "pyproject.toml", f'\n[tool.hatch-stage]\npin = "{pin}"\n')
    assert requires_dist(rewritten(app, tmp_path))[0] == f"Requires-Dist: {expected}"


def test_pin_follows_the_members_dynamic_version(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    version_file = root / "packages" / "core" / "src" / "core" / "__init__.py"
    edit(version_file, "1.4.2", "2.0.0rc1")
    assert (
        requires_dist(rewritten(root / "packages" / "app", tmp_path))[0]
        == "Requires-Dist: core==2.0.0rc1"
    )


def test_a_member_whose_version_only_its_own_backend_knows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member built by another backend with a dynamic version (here the in-tree backend of
    the ``intree`` fixture): its version is asked of that backend, in its build environment."""
    monkeypatch.setenv("HATCH_STAGE_CACHE_DIR", str(tmp_path / "cache"))
    root = copy_workspace("uv", tmp_path)
    member = root / "packages" / "intree"
    shutil.copytree(FIXTURES / "projects" / "intree", member)
    edit(member / "pyproject.toml", 'version = "0.9.0"', 'dynamic = ["version"]')
    app = root / "packages" / "app"
    edit(app / "pyproject.toml", '"core",\n]', '"core",\n    "intree-pkg",\n]')
    append(app / "pyproject.toml", "intree-pkg = { workspace = true }\n")
    assert "Requires-Dist: intree-pkg==0.9.0" in requires_dist(rewritten(app, tmp_path))


def test_specifier_already_written_is_kept_when_the_member_satisfies_it(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    app = root / "packages" / "app"
    pyproject = app / "pyproject.toml"
    edit(pyproject, '"core",', '"core>=1.4,<2",')
    wheel = rewritten(app, tmp_path)
    assert requires_dist(wheel)[0] == "Requires-Dist: core<2,>=1.4"  # as hatchling wrote it


def test_specifier_the_member_does_not_satisfy_is_an_error(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    app = root / "packages" / "app"
    pyproject = app / "pyproject.toml"
    edit(pyproject, '"core",', '"core>=2",')
    with pytest.raises(
        RewriteError, match=r"core>=2 does not allow 1\.4\.2.*workspace member core"
    ):
        rewrite(app, tmp_path)


def test_unknown_member_is_an_error_naming_dependency_and_members(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    app = root / "packages" / "app"
    pyproject = app / "pyproject.toml"
    edit(pyproject, '"core",', '"core",\n    "utils",')
    append(pyproject, "utils = { workspace = true }\n")
    message = rewrite_error(app, tmp_path)
    assert "utils is marked workspace = true" in message
    assert "no member named utils (members: app, core" in message
    assert f"[tool.uv.workspace] in {root / 'pyproject.toml'}" in message


def test_listed_member_whose_directory_is_missing_is_named(tmp_path: Path) -> None:
    """An unpacked sdist (pydantic's) or a partial checkout: the member is listed, its
    directory is not there; the error says exactly that, not "no member named"."""
    root = copy_workspace("uv", tmp_path)
    edit(root / "pyproject.toml", '["packages/*"]', '["packages/app", "packages/core"]')
    shutil.rmtree(root / "packages" / "core")
    message = rewrite_error(root / "packages" / "app", tmp_path)
    assert "core is marked workspace = true" in message
    assert f"lists it as a member ([tool.uv.workspace] in {root / 'pyproject.toml'})" in message
    assert f"its directory {root / 'packages' / 'core'} is missing" in message
    assert "no member named" not in message


def test_marked_member_without_any_workspace_is_an_error(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    (root / "pyproject.toml").write_text("# no workspace any more\n")
    with pytest.raises(
        RewriteError, match=r"core is marked workspace = true .*no workspace declares members"
    ):
        rewrite(root / "packages" / "app", tmp_path)


def test_hatch_member_declaring_its_own_workspace(tmp_path: Path) -> None:
    root = copy_workspace("hatch", tmp_path)
    (root / "pyproject.toml").unlink()
    app = root / "packages" / "app"
    append(
        app / "pyproject.toml",
        """
[tool.hatch.envs.default]
workspace.members = [{ path = "../core", features = ["cli"] }]

[tool.hatch.envs.default.sources]
core = { workspace = true }
""",
    )
    assert requires_dist(rewritten(app, tmp_path)) == PINNED_REQUIRES


def test_hatch_116_workspace_without_sources_pins_bare_member_dependencies(tmp_path: Path) -> None:
    root = copy_workspace("hatch", tmp_path)
    edit(root / "pyproject.toml", "core = { workspace = true }", "")
    app = root / "packages" / "app"
    edit(app / "pyproject.toml", "cli = ['core[cli] ;", "cli = ['core[cli]>=1 ;")
    assert requires_dist(rewritten(app, tmp_path)) == [
        "Requires-Dist: core==1.4.2",  # bare: pinned
        # a specifier the user wrote, and no source entry asking for a pin: untouched
        "Requires-Dist: core[cli]>=1; (python_version >= '3.9') and extra == 'cli'",
    ]
    # the project is a member too, but extras naming itself stay as written
    pinner = Pinner(load_project(app, Config()), Config())
    assert pinner("app[cli]; extra == 'all'", "METADATA") is None


def test_uv_sources_at_the_root_apply_to_members(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    app = root / "packages" / "app"
    edit(app / "pyproject.toml", "[tool.uv.sources]\ncore = { workspace = true }\n", "")
    append(root / "pyproject.toml", "\n[tool.uv.sources]\ncore = { workspace = true }\n")
    assert requires_dist(rewritten(app, tmp_path)) == PINNED_REQUIRES


def test_member_source_entry_overrides_the_roots(tmp_path: Path) -> None:
    root = copy_workspace("hatch", tmp_path)
    app = root / "packages" / "app"
    append(app / "pyproject.toml", '\n[tool.hatch.sources]\ncore = "../core"\n')
    assert all(artifact is None for _, artifact in rewrite(app, tmp_path).values())


def test_nothing_marked_leaves_artifacts_alone(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    packed = rewrite(root / "packages" / "core", tmp_path)
    assert [result for _, result in packed.values()] == [None, None]
    npm = Project(root=root, target="npm", name="app", version="0.3.0")
    wheel = packed["wheel"][0]
    assert (
        hatch_stage_rewrite(artifact=wheel, project=npm, config=Config(), workdir=tmp_path) is None
    )


# --- catalogs ------------------------------------------------------------------------------

CATALOG_ROOT = """\
[tool.hatch-stage.catalog]
requests = ">=2.0"
Rich = "~=13.7"

[tool.hatch-stage.catalogs.legacy]
urllib3 = "<2"
"""

CATALOG_MEMBER = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "app"
version = "0.3.0"
dependencies = ["requests", "urllib3[socks] ; python_version >= '3.9'"]

[project.optional-dependencies]
dev = ["rich"]

[tool.hatch-stage.sources]
requests = { catalog = true }
urllib3 = { catalog = "legacy" }
rich = { catalog = true }

[tool.hatch-stage.catalog]
requests = ">=2.31,<3"
"""


def catalog_project(
    tmp_path: Path, root_text: str = CATALOG_ROOT, member_text: str = CATALOG_MEMBER
) -> Path:
    """A repository whose root pyproject.toml holds shared catalogs and no workspace tool."""
    repository = tmp_path / "repo"
    app = repository / "apps" / "app"
    (app / "src" / "app").mkdir(parents=True)
    (repository / ".git").mkdir()
    (repository / "pyproject.toml").write_text(root_text)
    (app / "pyproject.toml").write_text(member_text)
    (app / "src" / "app" / "__init__.py").write_text("")
    return app


def test_catalogs_default_and_named_member_first(tmp_path: Path) -> None:
    app = catalog_project(tmp_path)
    results = rewrite(app, tmp_path)
    wheel, sdist = results["wheel"][1], results["sdist"][1]
    assert wheel is not None and sdist is not None
    expected = [
        "Requires-Dist: requests>=2.31,<3",  # the project's own entry wins over the root's
        "Requires-Dist: urllib3[socks]<2; python_version >= '3.9'",  # named catalog, marker kept
        "Requires-Dist: rich~=13.7; extra == 'dev'",  # name matched after normalization
    ]
    assert requires_dist(wheel) == expected
    assert_record_valid(wheel.path)
    with tarfile.open(sdist.path) as archive:
        pyproject = tomllib.loads(archive.extractfile("app-0.3.0/pyproject.toml").read().decode())  # type: ignore[union-attr]
    assert pyproject["project"]["dependencies"] == [
        "requests>=2.31,<3",
        "urllib3[socks]<2 ; python_version >= '3.9'",
    ]
    assert pyproject["project"]["optional-dependencies"] == {"dev": ["rich~=13.7"]}


def test_catalog_in_a_uv_workspace_root(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    append(
        root / "pyproject.toml",
        "\n[tool.hatch-stage.sources]\ncore = { catalog = false }\n"
        'idna = { catalog = true }\n\n[tool.hatch-stage.catalog]\nidna = "~=3.7"\n',
    )
    app = root / "packages" / "app"
    pyproject = app / "pyproject.toml"
    edit(pyproject, '"core",', '"core",\n    "idna",')
    assert requires_dist(rewritten(app, tmp_path))[:2] == [
        "Requires-Dist: core==1.4.2",
        "Requires-Dist: idna~=3.7",
    ]


def test_name_missing_from_catalog_is_an_error(tmp_path: Path) -> None:
    app = catalog_project(tmp_path, root_text=CATALOG_ROOT.replace('Rich = "~=13.7"\n', ""))
    message = rewrite_error(app, tmp_path)
    assert "rich is marked catalog = true" in message
    assert "catalog 'default' has no entry for it" in message
    assert f"[tool.hatch-stage.catalog] in {app / 'pyproject.toml'}" in message
    assert f"[tool.hatch-stage.catalog] in {tmp_path / 'repo' / 'pyproject.toml'}" in message


def test_unknown_catalog_is_an_error(tmp_path: Path) -> None:
    app = catalog_project(tmp_path, member_text=CATALOG_MEMBER.replace('"legacy"', '"vintage"'))
    message = rewrite_error(app, tmp_path)
    assert 'urllib3 is marked catalog = "vintage"' in message
    assert (
        "catalog 'vintage' is not defined; looked for [tool.hatch-stage.catalogs.vintage]"
        in message
    )
    assert str(tmp_path / "repo" / "pyproject.toml") in message


def test_catalog_dependency_with_its_own_specifier_is_an_error(tmp_path: Path) -> None:
    app = catalog_project(
        tmp_path, member_text=CATALOG_MEMBER.replace('"requests"', '"requests>=1"')
    )
    with pytest.raises(
        RewriteError, match="requests>=1 has its own specifier but is marked catalog = true"
    ):
        rewrite(app, tmp_path)


def test_catalog_entry_that_is_no_specifier_is_an_error(tmp_path: Path) -> None:
    app = catalog_project(tmp_path, root_text=CATALOG_ROOT.replace('"~=13.7"', '"latest"'))
    message = rewrite_error(app, tmp_path)
    assert "catalog entry rich = 'latest' in [tool.hatch-stage.catalog] in" in message
    assert "is not a valid version specifier" in message


# --- archives ----------------------------------------------------------------------------------


def test_zip_sdist_is_rewritten_too(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    app = root / "packages" / "app"
    packed, _ = rewrite(app, tmp_path)["sdist"]
    zipped = tmp_path / "app-0.3.0.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in tar_entries(packed.path):
            archive.writestr(info.name, data)
    config = load(app)
    result = hatch_stage_rewrite(
        artifact=Artifact(zipped, "sdist"),
        project=load_project(app, config),
        config=config,
        workdir=tmp_path / "zip-work",
    )
    assert result is not None and result.filename == "app-0.3.0.zip"
    with zipfile.ZipFile(result.path) as archive:
        assert b"Requires-Dist: core==1.4.2" in archive.read("app-0.3.0/PKG-INFO")
        assert b'"core==1.4.2",' in archive.read("app-0.3.0/pyproject.toml")


def test_unsafe_archive_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = copy_workspace("uv", tmp_path)
    app = root / "packages" / "app"
    wheel, _ = rewrite(app, tmp_path)["wheel"]
    with zipfile.ZipFile(wheel.path, "a") as archive:
        archive.writestr("../../escape.py", "print('outside')\n")
    config = load(app)
    with pytest.raises(ArchiveError, match=r"escape\.py.*unsafe path"):
        hatch_stage_rewrite(
            artifact=Artifact(wheel.path, "wheel"),
            project=load_project(app, config),
            config=config,
            workdir=tmp_path / "unsafe-work",
        )
    assert not (tmp_path / "unsafe-work").exists()


# --- the text edits, on their own -------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("core", "core==1"),
        ("core ; python_version >= '3.9'", "core==1 ; python_version >= '3.9'"),
        ("Core.Lib [a, b]>=0.1;extra=='x'", "Core.Lib [a, b]==1;extra=='x'"),
        ("core (>=0.1)", "core==1"),
    ],
)
def test_replace_specifier_keeps_name_extras_and_marker_as_written(
    written: str, expected: str
) -> None:
    assert replace_specifier(written, "==1") == expected


def test_compatible_pin_of_a_single_segment_version_stays_valid() -> None:
    assert pin_specifier("3", "compatible") == ">=3,==3.*"
    assert pin_specifier("1.2+local", "minimum") == ">=1.2"
    assert pin_specifier("1.2+local", "exact") == "==1.2+local"


def test_pyproject_edit_handles_inline_and_dotted_tables() -> None:
    text = (
        '[project]\nname = "x"  # "core" in a comment\n'
        "optional-dependencies = { a = ['core'], b = [\"other\"] }\n"
        'dependencies = [  # list\n  "core",\n]\n'
        '[tool.hatch.envs.default]\ndependencies = ["core"]\n'
    )
    result = rewrite_dependencies(
        text, lambda req, _where: "core==1" if req == "core" else None, "here"
    )
    assert result == text.replace("['core']", "['core==1']").replace('  "core",', '  "core==1",')


# --- installing the result ------------------------------------------------------------------


@pytest.fixture(scope="session")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual env (with pip) shared by the install tests."""
    target = tmp_path_factory.mktemp("rewrite-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True, timeout=300)
    return target / "bin" / "python"


def pip_install(python: Path, find_links: Path, wheel: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--find-links",
            str(find_links),
            "--disable-pip-version-check",
            "--force-reinstall",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_pip_installs_the_rewritten_wheel_and_enforces_the_pin(
    venv_python: Path, tmp_path: Path
) -> None:
    root = copy_workspace("hatch", tmp_path)
    core_wheels = tmp_path / "core-wheels"
    build(root / "packages" / "core", core_wheels)
    # the real command line keeps what it would stage; only pack and rewrite are needed here
    out = tmp_path / "staged"
    run = run_cli(
        ["publish", "--dry-run", "--json", "--out", str(out)],
        cwd=root / "packages" / "app",
        env={"HATCH_STAGE_LOAD_PLUGINS": "python-pack,workspace-rewrite"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    wheel = Artifact(out / "app-0.3.0-py3-none-any.whl", "wheel")
    reported = {entry["filename"]: entry["sha256"] for entry in run.json()["files"]}
    assert reported[wheel.filename] == wheel.sha256  # the report describes the pinned files
    assert requires_dist(wheel) == PINNED_REQUIRES
    assert_record_valid(wheel.path)

    installed = pip_install(venv_python, core_wheels, wheel.path)
    assert installed.returncode == 0, installed.stderr
    requires = subprocess.run(
        [
            str(venv_python),
            "-c",
            "import importlib.metadata as m, json; print(json.dumps(m.requires('app')))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert json.loads(requires) == [
        line.removeprefix("Requires-Dist: ") for line in PINNED_REQUIRES
    ]

    # only core 1.5.0 on offer: pip refuses, because the published requirement is pinned
    version_file = root / "packages" / "core" / "src" / "core" / "__init__.py"
    edit(version_file, "1.4.2", "1.5.0")
    newer = tmp_path / "newer-core"
    build(root / "packages" / "core", newer)
    refused = pip_install(venv_python, newer, wheel.path)
    assert refused.returncode != 0
    assert "core==1.4.2" in refused.stderr + refused.stdout
