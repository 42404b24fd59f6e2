"""The hatch publisher ``stage``: ``hatch publish -p stage [ARTIFACT ...] [-o key=value ...]``.

Options come from three places, highest precedence first: ``-o key=value`` on the command
line, ``[tool.hatch.publish.stage]`` in pyproject.toml, ``[publish.stage]`` in the user's hatch
config. They are merged here and handed to ``hatch-stage publish`` as flags, so they are
validated exactly like flags: an unknown or mistyped option is an error, never ignored.

Which files: the artifacts hatch was given; else this version's files in ``dist/``; else
hatch-stage builds the project itself (``hatch publish`` never builds).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hatch.publish.plugin.interface import PublisherInterface
from hatchling.plugin import hookimpl

#: publisher option -> hatch-stage publish flag; None marks a boolean switch
VALUE_OPTIONS = {
    "registry": "--registry",
    "npm-registry": "--npm-registry",
    "tag": "--tag",
    "access": "--access",
    "min-score": "--min-score",
    "provenance-file": "--provenance-file",
    "target": "--target",
    "out": "--out",
}
SWITCH_OPTIONS = {
    "dry-run": "--dry-run",
    "allow-secrets": "--allow-secrets",
    "strict": "--strict",
    "yes": "--yes",
    "allow-lower": "--allow-lower",
    "json": "--json",
    "no-isolation": "--no-isolation",
    "wheel": "--wheel",
}
#: keys hatch itself reads from the same tables
HATCH_KEYS = {"disable", "no_prompt", "initialize_auth"}
#: every option the publisher takes
KNOWN = frozenset({*VALUE_OPTIONS, *SWITCH_OPTIONS, "provenance"})
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


class PublishOptionError(ValueError):
    """A publisher option hatch-stage does not know or cannot read."""


def _switch(key: str, value: Any) -> bool:
    text = str(value).strip().lower()
    if isinstance(value, bool):
        return value
    if text in TRUE | FALSE:
        return text in TRUE
    raise PublishOptionError(f"option {key!r} must be true or false, not {value!r}")


def _unknown(key: str, where: str) -> PublishOptionError:
    return PublishOptionError(
        f"unknown option {key!r} ({where}) for the stage publisher; known: "
        f"{', '.join(sorted(KNOWN))}"
    )


def merge_options(*sources: tuple[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Merge ``(where, table)`` option sources, later ones winning.

    Keys are normalised to kebab-case; an unknown key is an error naming it as the user
    wrote it and where it came from.
    """
    merged: dict[str, Any] = {}
    for where, source in sources:
        for key, value in source.items():
            if key in HATCH_KEYS:
                continue
            name = key.replace("_", "-")
            if name not in KNOWN:
                raise _unknown(key, where)
            merged[name] = value
    return merged


def publish_arguments(options: Mapping[str, Any], artifacts: list[str]) -> list[str]:
    """``hatch-stage publish`` argv for merged options; unknown options are an error."""
    argv = ["publish"]
    for key, value in options.items():
        if key in VALUE_OPTIONS:
            argv += [VALUE_OPTIONS[key], str(value)]
        elif key == "provenance":
            argv.append("--provenance" if _switch(key, value) else "--no-provenance")
        elif key in SWITCH_OPTIONS:
            if _switch(key, value):
                argv.append(SWITCH_OPTIONS[key])
        else:
            raise _unknown(key, "publisher options")
    return argv + artifacts


def default_artifacts(root: Path) -> list[str]:
    """This version's wheels and sdists in dist/, or [] to let hatch-stage build."""
    dist = root / "dist"
    if not dist.is_dir():
        return []
    from .config import load
    from .project import load_project, name_and_version_of

    try:
        project = load_project(root, load(root))
    except Exception:  # an unreadable project: let publish report it properly
        return []
    if not project.version:  # known only once built: let hatch-stage build it
        return []
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    wanted = (canonicalize_name(project.name), Version(project.version))
    chosen = []
    for path in sorted(dist.iterdir()):
        if not path.name.endswith((".whl", ".tar.gz")):
            continue
        try:
            name, version = name_and_version_of(path)
        except Exception:
            continue
        if (canonicalize_name(name), Version(version)) == wanted:
            chosen.append(str(path))
    return chosen


class StagePublisher(PublisherInterface):
    PLUGIN_NAME = "stage"

    def publish(self, artifacts: list[str], options: dict[str, Any]) -> None:
        from .cli import main

        try:
            merged = merge_options(
                ("[publish.stage] in the hatch config", self.plugin_config),
                ("[tool.hatch.publish.stage] in pyproject.toml", self.project_config),
                ("-o", options),
            )
            argv = publish_arguments(merged, list(artifacts) or default_artifacts(Path(self.root)))
        except PublishOptionError as error:
            self.app.abort(str(error))
        if options.get("no_prompt") and "--yes" not in argv:
            argv.insert(1, "--yes")
        status = main([*argv, "--project", str(self.root)])
        if status != 0:
            self.app.abort(code=status)


@hookimpl
def hatch_register_publisher() -> type[PublisherInterface]:
    return StagePublisher
