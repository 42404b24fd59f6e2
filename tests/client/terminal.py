"""Running the real ``hatch-stage`` on a pseudo-terminal and answering its prompts, as a
person at a keyboard would. A plain module shared by the client tests."""

from __future__ import annotations

import os
import pty
import re
import signal
import termios
import time

from clientkit import Cli
from clitools import HATCH_STAGE, environment, read_terminal

#: the one-time password prompt of approve
APPROVE_PASSWORD = "password to approve:"


def echo_off(terminal: int) -> bool:
    """Whether the program on the pseudo-terminal is reading a password (echo switched off)."""
    return not termios.tcgetattr(terminal)[3] & termios.ECHO


def on_terminal(cli: Cli, args: list[str], env: dict[str, str],
                answers: list[str | tuple[str, str]], timeout: float = 60) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, answering its prompts in order.

    An answer is a one-time password typed at the approve password prompt, or ``(prompt,
    text)``: ``text`` typed once the screen ends with ``prompt`` (an ordinary question)."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal and stdin/stdout/stderr
        os.execve(HATCH_STAGE, [HATCH_STAGE, *args], environment({**cli.env, **env}))
    pending, deadline = list(answers), time.monotonic() + timeout

    def answer(screen: bytes) -> None:
        if not pending:
            return
        prompt, text = ((APPROVE_PASSWORD, pending[0]) if isinstance(pending[0], str)
                        else pending[0])
        # a password only once getpass has switched echo off: it flushes what came before
        if screen.rstrip().endswith(prompt.encode()) and (
                prompt != APPROVE_PASSWORD or echo_off(terminal)):
            os.write(terminal, text.encode() + b"\n")
            pending.pop(0)

    try:
        screen = read_terminal(terminal, deadline, answer)
    finally:
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen.decode(errors="replace"))  # no colours
    cli.record(" ".join(args), text)
    return os.waitstatus_to_exitcode(status), text
