"""Opaque tokens for links (SECURITY.md: tokens carry no readable database id, so no link tells
sign-up order or counts). In members, the lowest layer, so that every app may use them;
privacy.crypto re-exports `seal_token` and `open_token`.

- `seal_token` / `open_token`: a short value (a member's public id) encrypted with AES-SIV,
  bound to a purpose; no expiry (unsubscribe links).
- `seal_alphanumeric` / `open_alphanumeric`: the same in hex (letters and digits only).
- `dumps_sealed` / `loads_sealed`: the shape of `django.core.signing.dumps/loads` (timestamp,
  signature, max_age, SignatureExpired / BadSignature), but the JSON payload is sealed first
  and padded, so the token's readable part is ciphertext of a fixed length, not `[1, 10]`."""

import base64
import hashlib
import json

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from django.conf import settings
from django.core import signing

# The payload is padded to a multiple of this many bytes: a token's length says nothing of
# how many digits its ids have.
PAYLOAD_BLOCK = 32


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


def seal_alphanumeric(value: str, *, purpose: str) -> str:
    """`seal_token` in hex, for URL parts that allow only letters and digits (the member part
    of allauth's password reset link)."""
    return _siv(settings.SECRET_KEY).encrypt(value.encode(), [purpose.encode()]).hex()


def open_alphanumeric(token: str, *, purpose: str) -> str | None:
    try:
        sealed = bytes.fromhex(token)
    except (ValueError, TypeError):
        return None
    return open_token(base64.urlsafe_b64encode(sealed).decode(), purpose=purpose)


def dumps_sealed(value, *, salt: str) -> str:
    """A signed, timestamped token holding `value` (JSON) sealed for `salt`: "<sealed>:<time>:
    <signature>". Read it back with `loads_sealed` and the same salt."""
    text = json.dumps(value, separators=(",", ":"))
    text = text.ljust(-(-len(text) // PAYLOAD_BLOCK) * PAYLOAD_BLOCK)  # JSON ignores spaces
    return signing.TimestampSigner(salt=salt).sign(seal_token(text, purpose=salt))


def loads_sealed(token: str, *, salt: str, max_age=None, legacy: bool = False):
    """The value of a `dumps_sealed` token. Raises signing.SignatureExpired when it is older
    than `max_age`, signing.BadSignature for anything not made by us for this salt.
    `legacy`: also accept a token of `signing.dumps` with the same salt (readable ids, made
    before tokens were sealed), for links already mailed; they still expire by `max_age`."""
    sealed = signing.TimestampSigner(salt=salt).unsign(token, max_age=max_age)
    opened = open_token(sealed, purpose=salt)
    if opened is not None:
        return json.loads(opened)
    if legacy:
        return signing.loads(token, salt=salt, max_age=max_age)
    raise signing.BadSignature("not a sealed token")
