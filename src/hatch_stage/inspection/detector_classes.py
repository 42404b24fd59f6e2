"""The file a scan names to detect-secrets for hatch-stage's detectors (``file://`` plugins).

detect-secrets executes a custom plugin's file again for every plugin it names, each time its
plugins are set up: with :mod:`.detectors` itself that is some sixty runs of a module that
builds sixty classes, a fifth of a second before a pre-commit run can scan anything. This file
only hands over the classes of :mod:`.detectors`, imported once as usual, so each run costs
microseconds and the scan uses the very classes that module defines. (A baseline still names
``detectors.py``, which the ``detect-secrets`` command can load on its own.)
"""

from hatch_stage.inspection.detectors import DETECTORS

globals().update(DETECTORS)
