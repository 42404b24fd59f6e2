"""Start-up pays only for the command that runs.

``--version`` and ``--help`` import no command module (so neither rich, detect-secrets, the
registry client nor the ASGI stack); a command imports its own module only, and ``list``
(the registry client and rich) and ``check`` (the pipeline; detect-secrets only once it scans)
leave out what they do not use. Checked in a fresh interpreter, as a user runs them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

import pytest

from hatch_stage import cli

HEAVY = ("rich", "detect_secrets", "httpx2", "starlette", "uvicorn", "sqlalchemy", "sigstore",
         "keyring", "hatchling")


def _commands(parser: argparse.ArgumentParser) -> Any:
    return next(action for action in parser._actions if hasattr(action, "_choices_actions"))


def imported_by(*argv: str) -> set[str]:
    """The top-level packages and hatch_stage modules loaded by ``hatch-stage ARGV``."""
    script = (
        "import json, sys\n"
        "from hatch_stage import cli\n"
        "try:\n"
        f"    cli.main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    modules = json.loads(done.stderr.splitlines()[-1])
    return {m.split(".")[0] for m in modules} | {m for m in modules if m.startswith("hatch_")}


@pytest.mark.parametrize("argv", [("--version",), ("--help",)])
def test_version_and_help_import_no_command(argv: tuple[str, ...]) -> None:
    loaded = imported_by(*argv)
    assert not {m for m in loaded if m.startswith("hatch_stage.commands.")}
    assert not loaded & set(HEAVY)


@pytest.mark.parametrize(("argv", "absent"), [
    (("list", "--help"), {"detect_secrets", "starlette", "uvicorn", "sqlalchemy", "hatchling"}),
    (("check", "--help"), {"detect_secrets", "httpx2", "starlette", "uvicorn", "sqlalchemy"}),
    (("serve", "--help"), {"detect_secrets", "starlette", "uvicorn", "sqlalchemy"}),
])
def test_a_command_imports_only_its_own_module(argv: tuple[str, ...], absent: set[str]) -> None:
    loaded = imported_by(*argv)
    own = f"hatch_stage.commands.{cli.SUMMARIES[argv[0]][0]}"
    others = {f"hatch_stage.commands.{module}" for module in cli.COMMANDS} - {own}
    assert own in loaded
    assert not loaded & others - {"hatch_stage.commands.release"}  # review's helper
    assert not loaded & absent


def test_the_help_table_is_what_the_modules_register() -> None:
    """Every command a module registers is in :data:`cli.SUMMARIES`, in the same order, with
    the same line in ``--help``, and the table names nothing the modules do not register."""
    listed = [(action.dest, action.help) for action in _commands(cli.build_parser())
              ._choices_actions]
    assert listed == [(name, summary) for name, (_module, summary) in cli.SUMMARIES.items()]
    for name, (module, _summary) in cli.SUMMARIES.items():
        # registered in full by its own module alone, not left a one-line entry
        parser = _commands(cli.build_parser((module,))).choices[name]
        assert [action for action in parser._actions if action.dest != "help"]


def test_a_mistake_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["nonsense"]) != 0
    message = capsys.readouterr().err
    assert "invalid choice" in message
    assert all(f"'{name}'" in message for name in cli.SUMMARIES)


def test_the_rule_names_are_the_rules() -> None:
    """Plugins are loaded from the written-out rule names; they must be the rules, in order."""
    from hatch_stage.diff.rules import RULES
    from hatch_stage.plugins import RULE_NAMES, plugin_manager

    assert tuple(RULES) == RULE_NAMES
    manager = plugin_manager()
    assert all(manager.get_plugin(name).rule is RULES[name] for name in RULE_NAMES)


def test_loading_the_pipeline_imports_no_diff_workspace_or_npm_code() -> None:
    """``check`` and ``publish`` load every plugin but compare nothing with an earlier
    release: the diff, its rules and the workspace planning stay unloaded, and so do the npm
    plugins' helpers (they load when an npm project is released)."""
    script = ("import json, sys\n"
              "from hatch_stage.plugins import plugin_manager\n"
              "import hatch_stage.commands.check, hatch_stage.commands.publish\n"
              "plugin_manager()\n"
              "print(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    loaded = set(json.loads(done.stdout))
    assert "hatch_stage.plugins.npm_upload" in loaded and "hatch_stage.plugins.rules" in loaded
    assert not {m for m in loaded if m.startswith(("hatch_stage.diff", "hatch_stage.npm.",
                                                    "hatch_stage.release_set.", "semver"))}


def _program(setup: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """``hatch-stage ARGV`` as the installed script runs it (``cli.run``), after ``setup``."""
    script = (f"import sys\n{setup}\nsys.argv = ['hatch-stage', *{list(argv)!r}]\n"
              "from hatch_stage.cli import run\nrun()\n")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)


def test_the_program_ends_with_its_status_its_output_and_its_exit_handlers() -> None:
    """The program skips the interpreter's teardown, never what a shutdown must do: all
    output arrives, exit handlers run, and the status is the command's."""
    done = _program("import atexit\natexit.register(lambda: print('exit handler ran'))",
                    "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"hatch-stage {cli.__version__}", "exit handler ran"]
    refused = _program("", "nonsense", "--json")
    assert refused.returncode == 2 and json.loads(refused.stdout)["success"] is False


def test_the_program_waits_for_a_thread_still_running() -> None:
    done = _program(
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread finished'))).start()",
        "--version")
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "thread finished"
