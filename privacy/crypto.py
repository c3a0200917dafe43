"""Authenticated encryption at rest (Fernet / MultiFernet) for special-category data and
message text. Keys come from FIELD_ENCRYPTION_KEYS, newest first; rotate by prepending."""

import base64
import hashlib
import json
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from django.conf import settings


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(("field-encryption:" + settings.SECRET_KEY).encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(text: str) -> str:
    return fernet().encrypt(text.encode()).decode() if text else ""


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("stored value cannot be decrypted with the configured keys") from error


def encrypt_json(value) -> str:
    return encrypt_text(json.dumps(value)) if value else ""


def decrypt_json(token: str, default=None):
    return json.loads(decrypt_text(token)) if token else default


# --- Opaque tokens in links (unsubscribe links in mail) -----------------------------------------


def _siv(secret: str) -> AESSIV:
    key = hashlib.sha512(f"opaque-token:{secret}".encode()).digest()  # a 512-bit AES-SIV key
    return AESSIV(key)


def seal_token(value: str, *, purpose: str) -> str:
    """`value` (a member's public id) encrypted with AES-SIV, deterministic authenticated
    encryption, under a key derived from SECRET_KEY, with `purpose` bound in as associated
    data: URL-safe, unforgeable, useless for another purpose, and revealing nothing (a token
    in a mail header or a forwarded mail must not carry the id that profile URLs show). The
    same value and purpose always give the same token; there is no expiry."""
    sealed = _siv(settings.SECRET_KEY).encrypt(value.encode(), [purpose.encode()])
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_token(token: str, *, purpose: str) -> str | None:
    """The value sealed in `token` for `purpose`, or None for anything else. Keys in
    SECRET_KEY_FALLBACKS still open old tokens after a SECRET_KEY rotation."""
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            return _siv(secret).decrypt(sealed, [purpose.encode()]).decode()
        except (InvalidTag, ValueError, UnicodeError):
            continue
    return None
