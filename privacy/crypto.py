"""Authenticated encryption at rest (Fernet / MultiFernet) for special-category data and
message text. Keys come from FIELD_ENCRYPTION_KEYS, newest first; rotate by prepending.
Opaque tokens for links: members.tokens (re-exported here)."""

import base64
import hashlib
import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# Opaque tokens in links (unsubscribe links in mail) live in members.tokens, the lowest layer,
# so that moderation may use them too; the names stay importable from here.
from members.tokens import open_token, seal_token  # noqa: F401


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
