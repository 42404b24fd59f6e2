"""Errors written for the user.

Every failure a user can cause or fix is a :class:`HatchStageError` subclass whose message
says what went wrong and what to do next. The command line prints ``str(error)`` (never a
traceback) and puts :attr:`HatchStageError.code` into ``--json`` output as ``error_code``.
One subclass per pipeline stage, so plugins raise the error of the stage they implement.
"""

from __future__ import annotations


class HatchStageError(Exception):
    """Base of every error hatch-stage reports to the user."""

    #: machine-readable name of the failure, ``error_code`` in ``--json`` output
    code = "error"
    #: process exit status when this error ends a command
    exit_code = 1

    #: what ``--json`` error output adds under ``data`` (say, which releases went live
    #: before a batch stopped), or None
    data: dict[str, object] | None = None

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ConfigError(HatchStageError):
    """The configuration, a flag or an environment variable is invalid."""

    code = "config_invalid"
    exit_code = 2


class UsageError(ConfigError):
    """The command line itself is wrong: an unknown flag, a missing argument, a bad choice."""

    code = "usage_error"

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        #: the command's usage line, shown above the message without ``--json``
        self.usage = usage


class PackError(HatchStageError):
    """The project could not be packed, or a named artifact is unusable."""

    code = "pack_failed"


class RewriteError(HatchStageError):
    """A workspace or catalog dependency could not be pinned."""

    code = "rewrite_failed"


class ArchiveError(HatchStageError):
    """An artifact was refused as unsafe or unreadable (size, ratio, traversal, links)."""

    code = "archive_refused"


class ScanError(HatchStageError):
    """The secret scan could not run (not: it found secrets; that is a finding)."""

    code = "scan_failed"


class ScoreError(HatchStageError):
    """A quality scorer could not run."""

    code = "score_failed"


class AuthError(HatchStageError):
    """No usable credentials, or the registry refused them."""

    code = "auth_failed"


class SignError(HatchStageError):
    """Provenance could not be produced or attached."""

    code = "sign_failed"


class UploadError(HatchStageError):
    """The registry refused the release or could not be reached."""

    code = "upload_failed"


class RegistryError(HatchStageError):
    """A registry call (list, view, download, approve, reject) failed."""

    code = "registry_error"


class PluginError(HatchStageError):
    """A plugin could not be loaded or a disabled name matches nothing."""

    code = "plugin_error"


class OtpRequired(RegistryError):
    """The registry wants a (fresh) one-time password for this call."""

    code = "otp_required"
