"""Secrets the hub must read back (OIDC client secrets, TOTP keys) are kept encrypted with a
key derived from SECRET_KEY, so a copy of the database alone does not reveal them.

Changing SECRET_KEY makes them unreadable: system administrators then enter each provider's
client secret again, and people set up two-factor sign-in again (the README says so)."""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class UnreadableSecret(Exception):
    """A sealed value that this SECRET_KEY cannot open."""


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"focus-hub sealed secrets"
    ).derive(current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret from None
