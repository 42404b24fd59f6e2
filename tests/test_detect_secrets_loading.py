"""detect-secrets is imported without requests (which only its verifiers use), and requests
still works for everything else.

Each test runs in a fresh interpreter: what is imported is a property of the whole process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SCAN_THEN_USE_REQUESTS = textwrap.dedent("""
    import json, random, string, sys
    from hatch_stage.secretscan import scanner

    key = "AKIA" + "".join(random.choices(string.ascii_uppercase + string.digits, k=16))
    with scanner() as scan:
        found = [s.type for s in scan.scan("settings.py", f"aws_key = '{key}'".encode())]
    loaded = sorted(m for m in ("requests", "urllib3", "charset_normalizer", "certifi")
                    if m in sys.modules)

    import requests
    from requests import Response
    from detect_secrets.plugins import base
    print(json.dumps({
        "found": found,
        "loaded while scanning": loaded,
        "Response is a class": isinstance(Response, type),
        "same requests for detect-secrets": (
            base.requests.exceptions.RequestException is requests.exceptions.RequestException),
        "Session": requests.Session.__name__,
    }))
""")


def run(script: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_a_scan_loads_no_requests_and_requests_works_afterwards() -> None:
    result = run(SCAN_THEN_USE_REQUESTS)
    assert result["found"] == ["AWS Access Key"]
    assert result["loaded while scanning"] == []
    assert result["Response is a class"] is True
    assert result["same requests for detect-secrets"] is True
    assert result["Session"] == "Session"


@pytest.mark.parametrize("first", ["import requests", "import detect_secrets.plugins.base"])
def test_requests_or_detect_secrets_loaded_before_is_left_as_it_is(first: str) -> None:
    """Loaded first (by the embedding program, by the baseline writer), nothing is stood in:
    detect-secrets' modules hold the real requests."""
    result = run(f"{first}\n{SCAN_THEN_USE_REQUESTS}")
    assert result["found"] == ["AWS Access Key"]
    assert result["loaded while scanning"] != []
    assert result["same requests for detect-secrets"] is True
