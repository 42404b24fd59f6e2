"""Tokens kept for the user: the environment variable and the system keyring.

``hatch-stage login`` stores a token per registry in the keyring (service ``hatch-stage``,
user name = the registry URL); ``logout`` deletes it. Nothing is ever written to a plain file
by hatch-stage itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import AuthError
from .output import register_secret

TOKEN_VARIABLE = "HATCH_STAGE_TOKEN"
KEYRING_SERVICE = "hatch-stage"


def registry_key(registry: str) -> str:
    """One spelling per registry: scheme://host[:port]/path without trailing slash or /legacy."""
    parts = urlsplit(registry.strip())
    path = parts.path.rstrip("/")
    for suffix in ("/legacy", "/upload/2.0", "/simple"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def same_registry(first: str, second: str) -> bool:
    return registry_key(first) == registry_key(second)


def _keyring() -> tuple[Any, Any]:
    # imported late: keyring discovers its backends at import, which costs start-up time
    import keyring
    import keyring.errors

    return keyring, keyring.errors


def keyring_token(registry: str, service: str = KEYRING_SERVICE) -> str | None:
    """The stored token for ``registry``, or None (also when no keyring backend exists)."""
    keyring, errors = _keyring()
    try:
        token = keyring.get_password(service, registry_key(registry))
    except (errors.KeyringError, RuntimeError):
        return None
    if token:
        register_secret(token)
    return token or None


def store_token(registry: str, token: str, service: str = KEYRING_SERVICE) -> None:
    keyring, errors = _keyring()
    register_secret(token)
    try:
        keyring.set_password(service, registry_key(registry), token)
    except (errors.KeyringError, RuntimeError) as error:
        raise AuthError(
            f"could not store the token in the system keyring ({type(error).__name__}); "
            f"set {TOKEN_VARIABLE} instead, or install a keyring backend"
        ) from None


def delete_token(registry: str, service: str = KEYRING_SERVICE) -> bool:
    """Forget the stored token; False when there was none."""
    keyring, errors = _keyring()
    try:
        keyring.delete_password(service, registry_key(registry))
    except errors.PasswordDeleteError:
        return False
    except (errors.KeyringError, RuntimeError) as error:
        raise AuthError(f"could not reach the system keyring ({type(error).__name__})") from None
    return True
