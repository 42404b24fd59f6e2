"""Review rule ``import-time-code``: module-level code that starts processes, evaluates
decoded data or opens network connections.

Code at a module's top level (and in class bodies, decorators and default values) runs on
``import``; a package's ``__init__`` runs on any import of the package. A cheap AST walk of
each added or changed Python member resolves names through the module's imports
(``import subprocess as sp; sp.Popen`` is ``subprocess.Popen``) and skips function bodies
and ``if __name__ == "__main__":`` blocks. Members whose text mentions none of the names
involved (or, for evaluation, not both a decoder and an evaluator) are not parsed at all.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from ..model import ChangedMember, Flag

RULE = "import-time-code"

PROCESS = frozenset({
    "subprocess.Popen", "subprocess.run", "subprocess.call", "subprocess.check_call",
    "subprocess.check_output", "subprocess.getoutput", "subprocess.getstatusoutput",
    "os.system", "os.popen", "os.execv", "os.execve", "os.execl", "os.execle", "os.execlp",
    "os.execvp", "os.execvpe", "os.spawnl", "os.spawnv", "os.spawnve", "os.spawnlp",
    "os.spawnvp", "os.posix_spawn", "os.posix_spawnp", "os.startfile", "pty.spawn",
    "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
})
NETWORK = frozenset({
    "socket.socket", "socket.create_connection", "socket.getaddrinfo", "socket.gethostbyname",
    "urllib.request.urlopen", "urllib.request.urlretrieve", "urllib.request.Request",
    "http.client.HTTPConnection", "http.client.HTTPSConnection", "ftplib.FTP", "smtplib.SMTP",
    "telnetlib.Telnet", "requests.get", "requests.post", "requests.put", "requests.request",
    "requests.Session", "httpx.get", "httpx.post", "httpx.Client", "urllib3.PoolManager",
})
DECODERS = frozenset({
    "base64.b64decode", "base64.b32decode", "base64.b16decode", "base64.a85decode",
    "base64.b85decode", "base64.decodebytes", "base64.urlsafe_b64decode", "codecs.decode",
    "zlib.decompress", "bz2.decompress", "lzma.decompress", "gzip.decompress",
    "binascii.a2b_base64", "binascii.unhexlify", "binascii.a2b_hex", "bytes.fromhex",
})
EVALUATORS = frozenset({"exec", "eval", "compile", "__import__", "marshal.loads",
                        "pickle.loads", "types.FunctionType"})
#: a member that mentions none of these cannot start a process or open a connection (names
#: are resolved through imports, so the module or function name is always in the text)
_MENTIONS_CALL = re.compile(
    r"subprocess|\bsystem\b|\bpopen\b|\bexec[lv]|\bspawn|startfile|\bpty\b"
    r"|socket|urllib\.request|urlopen|urlretrieve|http\.client|HTTPS?Connection|ftplib"
    r"|smtplib|telnetlib|\brequests\b|\bhttpx\b|urllib3|__import__")
#: ... nor evaluate decoded data unless it mentions both a decoder and an evaluator
_MENTIONS_DECODER = re.compile(r"base64|codecs|zlib|bz2|lzma|gzip|binascii|fromhex|\.decode\(")
_MENTIONS_EVALUATOR = re.compile(r"\bexec\b|\beval\b|\bcompile\b|marshal|pickle|FunctionType")


def _may_hold_suspect_calls(source: str) -> bool:
    """A cheap text test: False means no suspect call can be in ``source`` (no parse needed)."""
    return bool(_MENTIONS_CALL.search(source) or (
        _MENTIONS_EVALUATOR.search(source) and _MENTIONS_DECODER.search(source)))


class _ImportTime(ast.NodeVisitor):
    """Collects (line, what it does, call) for calls that run when the module is imported."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.decoded: set[str] = set()
        self.found: list[tuple[int, str, str]] = []

    # names ---------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def dotted(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "__import__" and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            return node.args[0].value
        return None

    # what runs at import time --------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expression in (*node.decorator_list, *node.args.defaults,
                           *(d for d in node.args.kw_defaults if d is not None)):
            self.visit(expression)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return None

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
                and test.left.id == "__name__"):
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        if self._decodes(node.value):
            self.decoded.update(t.id for t in node.targets if isinstance(t, ast.Name))

    def _decodes(self, node: ast.AST) -> bool:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and self.dotted(inner.func) in DECODERS:
                return True
            if isinstance(inner, ast.Name) and inner.id in self.decoded:
                return True
            if (isinstance(inner, ast.Attribute) and inner.attr == "decode"
                    and isinstance(inner.value, ast.Call) and self._decodes(inner.value)):
                return True
        return False

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        name = self.dotted(node.func)
        if name is None:
            return
        if name in PROCESS:
            self.found.append((node.lineno, "starts a process", name))
        elif name in NETWORK:
            self.found.append((node.lineno, "opens a network connection", name))
        elif name in EVALUATORS and any(self._decodes(argument) for argument in node.args):
            self.found.append((node.lineno, "evaluates decoded data", name))


def import_time_calls(source: str) -> Iterator[tuple[int, str, str]]:
    """(line, what it does, call) of every suspect call that runs when ``source`` is imported."""
    if not _may_hold_suspect_calls(source):
        return
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    visitor = _ImportTime()
    visitor.visit(tree)
    yield from visitor.found


def review_member(member: ChangedMember) -> list[Flag]:
    if not member.path.endswith(".py"):
        return []
    text = member.text
    if text is None:
        return []
    module = member.path.rsplit("/", 1)[-1]
    where = "a package's __init__ (runs on any import of the package)" if (
        module == "__init__.py") else "module-level code (runs on import)"
    return [Flag(RULE, f"{what} at import time: {call}() in {where}", line=line)
            for line, what, call in import_time_calls(text)]
