"""Issue 11, item 4: the registry publishes an OpenAPI description of its whole HTTP API, and
schemathesis, driven by it, finds no server error on either database.

schemathesis runs as its command line does, against the real server of each backend: every
phase (boundary and negative values, generated requests, and stateful sequences that follow
the document's links: open a session, then read, extend, publish and cancel it, start files
in it ...), with a maintain token for every project, a fixed seed and a bounded number of
examples per operation, so the run is repeatable and takes well under a minute per database.
The requests are counted from its HAR report, where every answer's status is checked again,
and the server's log must hold no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from stagekit import Server
from starlette.routing import Route

from hatch_stage.registry import Registry, openapi
from hatch_stage.registry.app import create_app

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
#: examples per operation and phase: about 1,700 requests per database
EXAMPLES = 20
SEED = 694


def test_the_openapi_document_describes_every_route(tmp_path: Path) -> None:
    """Every API route; the review page's browser routes are people's pages, not the API
    (docs/registry.md describes them), so they stay out of the document and out of the fuzz."""
    with Registry.open(tmp_path) as registry:
        app = create_app(registry)
    served = {(route.path, method.lower()) for route in app.routes
              if isinstance(route, Route) and route.include_in_schema
              for method in route.methods or () if method != "HEAD"}
    pages = [route for route in app.routes if not getattr(route, "include_in_schema", True)]
    assert pages and all(route.path.startswith("/review/") for route in pages)
    document = openapi.document()
    described = {(path, method) for path, operations in document["paths"].items()
                 for method in operations}
    assert served == described
    assert document["openapi"].startswith("3.")
    operations = [operation for item in document["paths"].values()
                  for operation in item.values()]
    assert len({operation["operationId"] for operation in operations}) == len(operations)
    for operation in operations:  # every link names an operation that exists
        for answer in operation["responses"].values():
            for link in answer.get("links", {}).values():
                assert any(other["operationId"] == link["operationId"] for other in operations)


def test_fuzzing_the_http_api_finds_no_server_error(server: Server, tmp_path: Path) -> None:
    token = server.maintainer("*").token  # every project, publishing and canceling
    reports = tmp_path / "reports"
    started = time.monotonic()
    run = subprocess.run(
        [SCHEMATHESIS, "run", f"{server.url}/_/openapi.json", "--checks", "not_a_server_error",
         "--header", f"Authorization: Bearer {token}", "--max-examples", str(EXAMPLES),
         "--seed", str(SEED), "--workers", "1", "--request-timeout", "60",
         "--report", "har", "--report-dir", str(reports)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    seconds = time.monotonic() - started
    entries = [entry for har in reports.glob("*.json")
               for entry in json.loads(har.read_text())["log"]["entries"]]
    statuses = Counter(entry["response"]["status"] for entry in entries)
    backend = "PostgreSQL" if server.database else "SQLite"
    print(f"\nschemathesis on {backend}: {len(entries)} requests in {seconds:.0f} s, "
          f"answers {dict(sorted(statuses.items()))}")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert len(entries) >= 1000, run.stdout[-3000:]
    assert not [status for status in statuses if status >= 500]
    # the stateful phase got past authentication into sessions it opened itself
    assert statuses[201] and statuses[200]
    assert "Exception in ASGI application" not in server.log()
