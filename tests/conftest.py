"""Shared fixtures: fixture projects copied into tmp dirs, the test OIDC issuer's key."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from clitools import PROJECTS
from stagekit import issuer_keys


@pytest.fixture(autouse=True)
def review_store(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where commands run in-process remember reviews: a directory of each test's own, never
    the real ~/.local/state."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """A copy of the well-kept sample project, safe to modify."""
    target = tmp_path / "sample"
    shutil.copytree(PROJECTS / "sample", target)
    return target


@pytest.fixture(scope="session")
def issuer_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The trusted-publishing test issuer: its private key and its JWKS file."""
    return issuer_keys(tmp_path_factory.mktemp("issuer"))


@pytest.fixture
def offline_sigstore(tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    """pypi-attestations (called by a test to check what the registry serves) reads a trust
    root cached for the user before the one bundled with sigstore: point the user's cache and
    data directories at empty ones, so only the bundled root is used (no network either)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
