"""Whether a project's wheel needs a compiler, judged from its build configuration.

A hook cannot compile extensions on every commit, and a wheel compiled on a maintainer's
machine is not what gets published (that is cibuildwheel's job), so such projects are checked
on their sdist unless ``--wheel`` asks for the wheel too. The signs, any of which counts:

- a backend that exists to compile (maturin, meson-python, scikit-build-core, ...);
- a build requirement that only compiling builds need (Cython, pybind11, setuptools-rust,
  cffi, hatch-cython, hatch-mypyc, ...);
- a setuptools project declaring extension modules (``ext_modules``, ``Extension(``,
  ``cythonize(``, ``cffi_modules``, ``rust_extensions`` in setup.py, or
  ``[tool.setuptools] ext-modules``);
- a poetry build script or pdm-backend running setuptools (both exist to build extensions).

Projects whose extensions are optional (a pure-Python fallback) count too: their published
wheels are compiled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .buildsystem import BuildSystem

#: backend modules whose only job is building compiled extensions
COMPILING_BACKENDS = frozenset({
    "maturin", "mesonpy", "scikit_build_core", "py_build_cmake", "enscons", "pymsbuild",
    "sipbuild", "setuptools_rust", "cmeel", "pybind11",
})
#: build requirements that mean a compiler will run
COMPILING_REQUIREMENTS = frozenset({
    "cython", "pybind11", "nanobind", "setuptools-rust", "cffi", "maturin", "meson-python",
    "scikit-build", "scikit-build-core", "cmake", "ninja", "hatch-cython", "hatch-mypyc",
    "py-build-cmake", "numpy", "pythran", "cmeel", "sip",
})
_SETUP_PY_EXTENSIONS = re.compile(
    r"\b(ext_modules|cffi_modules|rust_extensions|cythonize\s*\(|Extension\s*\(|"
    r"Pybind11Extension|build_ext)"
)


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def compiler_reason(root: Path, system: BuildSystem, manifest: Mapping[str, Any]) -> str | None:
    """Why the wheel of the project at ``root`` needs a compiler, or None when it does not."""
    module = system.backend.partition(":")[0].partition(".")[0]
    if module in COMPILING_BACKENDS:
        return f"its build backend {system.backend} compiles extensions"
    compiling = sorted(system.requirement_names & COMPILING_REQUIREMENTS)
    if compiling:
        return f"its build requirements include {', '.join(compiling)}"
    tool = _table(manifest.get("tool"))
    if _table(tool.get("setuptools")).get("ext-modules"):
        return "[tool.setuptools] declares ext-modules"
    poetry = _table(tool.get("poetry"))
    if poetry.get("build") or _table(poetry.get("build")).get("script"):
        return "[tool.poetry] runs a build script"
    if _table(_table(tool.get("pdm")).get("build")).get("run-setuptools"):
        return "[tool.pdm.build] runs setuptools to build extensions"
    setup_py = root / "setup.py"
    if module == "setuptools" and setup_py.is_file():
        try:
            text = setup_py.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        found = _SETUP_PY_EXTENSIONS.search(text)
        if found:
            return f"setup.py declares extension modules ({found.group(1).rstrip('( ')})"
    return None
