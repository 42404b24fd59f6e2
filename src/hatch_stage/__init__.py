"""hatch-stage: staged publishing for Python and npm packages."""

__version__ = "0.1.0"

