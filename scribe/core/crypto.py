"""Field encryption at rest and the keyed blind index (issue 14): the only module that
encrypts or decrypts patient data. Models use ``scribe.core.fields.EncryptedTextField`` /
``EncryptedJSONField``, which call :func:`encrypt` / :func:`decrypt`; nothing else does.

Ciphertext: ``enc1:<kid>:<base64(nonce || AES-256-GCM(plain))>``. ``kid`` is a short
HMAC fingerprint of the key (never the key), so a database query (``__startswith``) finds
the rows not under the newest key (``manage.py rotate_field_keys``) and a value under a key
that is no longer configured is named, never decrypted into garbage.

Blind index: ``<kid>`` followed by space-separated tokens, each the first 16 hex digits of
HMAC-SHA256(index key, domain + normalised value): exact NHS number (``nhs:``) and every
prefix of every word of the patient's name (``name:``). A search computes the same tokens
under every configured index key and matches with ``__contains`` (works on every engine).

Keys come from the environment only (settings.FIELD_ENCRYPTION_KEYS,
settings.FIELD_BLIND_INDEX_KEYS; newest first; 32 bytes, urlsafe base64).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "enc1:"
_NONCE = 12
# Name prefixes longer than this are not indexed (a search longer than it is cut to it).
MAX_PREFIX = 24
TOKEN_HEX = 16


class FieldKeyError(ImproperlyConfigured):
    """A stored value is under a key that is not configured (or the value is damaged)."""


@dataclass(frozen=True)
class Key:
    kid: str
    secret: bytes


def dev_key(purpose: str) -> str:
    """The fixed development key used with DEBUG on when none is set (never in production)."""
    raw = hashlib.sha256(f"scribe-development-only-{purpose}-key".encode()).digest()
    return base64.urlsafe_b64encode(raw).decode()


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _key_id(secret: bytes) -> str:
    return hmac.new(secret, b"scribe-field-key-id", hashlib.sha256).hexdigest()[:8]


def parse_keys(value: str | list[str], *, name: str) -> tuple[Key, ...]:
    """``"k1,k2"`` (newest first) -> keys; a malformed key is an ImproperlyConfigured naming ``name``."""
    items = value.split(",") if isinstance(value, str) else list(value)
    keys = []
    for n, item in enumerate(i.strip() for i in items):
        if not item:
            continue
        try:
            secret = base64.urlsafe_b64decode(item.encode() + b"=" * (-len(item) % 4))
        except (binascii.Error, ValueError):
            secret = b""
        if len(secret) != 32:
            raise ImproperlyConfigured(
                f"{name}: key #{n + 1} is not 32 bytes of urlsafe base64 "
                '(generate one: python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())")'
            )
        keys.append(Key(kid=_key_id(secret), secret=secret))
    if not keys:
        raise ImproperlyConfigured(f"{name} is empty: set at least one key (see README 'Encryption at rest').")
    if len({k.kid for k in keys}) != len(keys):
        raise ImproperlyConfigured(f"{name} lists the same key twice.")
    return tuple(keys)


@lru_cache(maxsize=8)
def _keys_cached(value: tuple[str, ...], name: str) -> tuple[Key, ...]:
    return parse_keys(list(value), name=name)


# (the settings value it was built from, keys, kid -> cipher): rebuilt only when the
# setting's object changes (tests and the bench override it), not per value.
_memo: tuple[Any, tuple[Key, ...], dict[str, AESGCM]] | None = None


def _encryption_state() -> tuple[tuple[Key, ...], dict[str, AESGCM]]:
    global _memo
    value = settings.FIELD_ENCRYPTION_KEYS
    memo = _memo
    if memo is None or memo[0] is not value:
        keys = _keys_cached(tuple(value), "FIELD_ENCRYPTION_KEYS")
        # New keys: nothing decrypted under the old ones is served any more.
        _plain.clear()
        memo = _memo = (value, keys, {k.kid: AESGCM(k.secret) for k in keys})
    return memo[1], memo[2]


def encryption_keys() -> tuple[Key, ...]:
    return _encryption_state()[0]


def index_keys() -> tuple[Key, ...]:
    return _keys_cached(tuple(settings.FIELD_BLIND_INDEX_KEYS), "FIELD_BLIND_INDEX_KEYS")


# --- Encryption ------------------------------------------------------------------------------


def current_prefix() -> str:
    """What every value under the newest key starts with."""
    return f"{PREFIX}{encryption_keys()[0].kid}:"


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def key_id_of(value: str) -> str | None:
    if not value.startswith(PREFIX):
        return None
    return value[len(PREFIX) : len(PREFIX) + 8]


def encrypt(plain: str) -> str:
    # Only bench/bench_encryption.py sets this (a settings attribute, never read from the
    # environment, refused with DEBUG off by settings.py): the plain path it compares against.
    if settings.FIELD_ENCRYPTION_PLAIN_FOR_BENCH:
        return plain
    keys, ciphers = _encryption_state()
    kid = keys[0].kid
    nonce = os.urandom(_NONCE)
    sealed = ciphers[kid].encrypt(nonce, plain.encode(), None)
    return f"{PREFIX}{kid}:{binascii.b2a_base64(nonce + sealed, newline=False).decode()}"


# Short values decrypted recently, per process (a transcript's 1,000 segments are read again
# at every poll): stored value -> plain value, a plain dict (a lookup is ~0.07 us; the
# ``lru_cache`` it replaces cost ~0.6 us per value, 15% of a 1,000-segment read). What it holds
# was in this process's memory anyway, next to the keys; it is emptied whenever the configured
# keys change (``_encryption_state`` on a miss, and ``_keys_changed`` when a test or the bench
# overrides the setting), so a key removed from the settings is not served from it.
# Full, it drops its oldest entries (insertion order) down to three quarters.
DECRYPT_CACHE_SIZE = 8192
DECRYPT_CACHE_MAX_CHARS = 2048
_plain: dict[str, str] = {}


def decrypt(value: str) -> str:
    """A stored value -> its plain text. A value without the prefix (written before
    encryption, not yet migrated by ``rotate_field_keys``) is returned as it is."""
    if not value.startswith(PREFIX):
        return value
    plain = _plain.get(value)
    if plain is None:
        # The key state is checked on every miss (an identity check of the setting), so a key
        # removed from the settings, signal or not, never decrypts anything again.
        plain = _decrypt(value, _encryption_state()[1])
        if len(value) <= DECRYPT_CACHE_MAX_CHARS:
            _remember(value, plain)
    return plain


def _remember(value: str, plain: str) -> None:
    if len(_plain) >= DECRYPT_CACHE_SIZE:
        try:
            for stale in list(islice(_plain, DECRYPT_CACHE_SIZE // 4)):
                _plain.pop(stale, None)
        except RuntimeError:  # another thread changed it meanwhile: start afresh
            _plain.clear()
    _plain[value] = plain


def _decrypt(value: str, ciphers: dict[str, AESGCM]) -> str:
    kid = value[5:13]  # len(PREFIX) == 5, key ids are 8 hex digits
    cipher = ciphers.get(kid)
    if cipher is None:
        raise FieldKeyError(
            f"A stored value is encrypted under key id {kid}, which is not in FIELD_ENCRYPTION_KEYS "
            "(add the key back, newest first, and run manage.py rotate_field_keys)."
        )
    try:
        raw = binascii.a2b_base64(value[14:])
        return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()
    except Exception as exc:  # InvalidTag, bad base64: damaged, never returned as garbage
        raise FieldKeyError(f"A stored value under key id {kid} does not decrypt (damaged).") from exc


def decrypt_cache_clear() -> None:
    _plain.clear()


@receiver(setting_changed)
def _keys_changed(*, setting: str, **kwargs: Any) -> None:
    # Hits are served without looking at the keys; the next miss rebuilds the key state itself.
    if setting == "FIELD_ENCRYPTION_KEYS":
        _plain.clear()


def decrypt_cache_size() -> int:
    return len(_plain)


def encrypt_json(value: Any) -> str:
    return encrypt(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def decrypt_json(value: str) -> Any:
    return json.loads(decrypt(value))


# --- Blind index -----------------------------------------------------------------------------


def _token(key: Key, domain: str, value: str) -> str:
    return hmac.new(key.secret, f"{domain}:{value}".encode(), hashlib.sha256).hexdigest()[:TOKEN_HEX]


def name_words(value: str) -> list[str]:
    text = unicodedata.normalize("NFKC", value).casefold()
    return [w for w in re.split(r"[^\w]+", text) if w]


def nhs_digits(value: Any) -> str:
    return re.sub(r"\D", "", value) if isinstance(value, str) else ""


def index_value(*, name: str, nhs_number: str, key: Key | None = None) -> str:
    """The stored index of one patient: ``"<kid> <tok> <tok> ... "`` ("" when nothing to index)."""
    key = key or index_keys()[0]
    tokens: list[str] = []
    for word in name_words(name):
        for n in range(1, min(len(word), MAX_PREFIX) + 1):
            tokens.append(_token(key, "name", word[:n]))
    digits = nhs_digits(nhs_number)
    if digits:
        tokens.append(_token(key, "nhs", digits))
    if not tokens:
        return ""
    return f"{key.kid} " + " ".join(dict.fromkeys(tokens)) + " "


def index_prefix(key: Key | None = None) -> str:
    return f"{(key or index_keys()[0]).kid} "


def name_search_tokens(query: str) -> list[list[str]]:
    """Per configured index key, the tokens a name must all hold to match ``query``
    (each query word a prefix of one of the name's words)."""
    words = [w[:MAX_PREFIX] for w in name_words(query)]
    return [[f" {_token(key, 'name', w)} " for w in words] for key in index_keys()] if words else []


def nhs_search_tokens(value: str) -> list[str]:
    digits = nhs_digits(value)
    return [f" {_token(key, 'nhs', digits)} " for key in index_keys()] if digits else []


def nhs_fingerprint(value: str, key: Key | None = None) -> str:
    """``"<kid>:<token>"`` of an NHS number (digits only), "" when there is none."""
    digits = nhs_digits(value)
    if not digits:
        return ""
    key = key or index_keys()[0]
    return f"{key.kid}:{_token(key, 'nhs', digits)}"


def nhs_fingerprints(value: str) -> list[str]:
    """Every configured index key's fingerprint of ``value`` (to search during a rotation)."""
    digits = nhs_digits(value)
    return [nhs_fingerprint(digits, key) for key in index_keys()] if digits else []
