"""Shared fixtures: fixture projects copied into tmp dirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from clitools import PROJECTS


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """A copy of the well-kept sample project, safe to modify."""
    target = tmp_path / "sample"
    shutil.copytree(PROJECTS / "sample", target)
    return target
