"""Fixtures of the npm tests: the peers installed once, and one Verdaccio per session.

The registry itself, its users and their authenticator apps are in :mod:`npm_verdaccio`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from install_peers import Peers, ensure_peers
from npm_verdaccio import Registry, running_verdaccio


@pytest.fixture(scope="session")
def peers() -> Peers:
    return ensure_peers()


@pytest.fixture(scope="session")
def verdaccio(peers: Peers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """The running registry, with its users created and the maintainers' 2FA enrolled."""
    with running_verdaccio(peers, tmp_path_factory.mktemp("verdaccio")) as registry:
        yield registry


@pytest.fixture
def npm_env(verdaccio: Registry, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Registry:
    """Environment for running hatch-stage's npm plugins here: npm 12 packs, no stray config."""
    monkeypatch.setenv("HATCH_STAGE_NPM", str(verdaccio.peers.npm_cli))
    monkeypatch.setenv("HATCH_STAGE_NODE", str(verdaccio.peers.node))
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", str(tmp_path / "empty-npmrc"))
    monkeypatch.setenv("NPM_CONFIG_CACHE", str(verdaccio.home / "npm-cache"))
    for variable in ("NPM_TOKEN", "NPM_ID_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
                     "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "NPM_CONFIG_REGISTRY",
                     "npm_config_registry"):
        monkeypatch.delenv(variable, raising=False)
    return verdaccio
