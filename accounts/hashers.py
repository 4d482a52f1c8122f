"""Password hashes written by the Node.js backend, verified as they are stored.

node-bcrypt wrote ``$2b$<cost>$<53 chars>`` and bcryptjs ``$2a$<cost>$<53 chars>``,
with no Django ``<algorithm>$`` prefix, and the importer keeps them byte for byte.
Django's ``identify_hasher`` names a hash by the text before its first ``$``: for
these hashes that is the empty string. So this hasher's algorithm *is* the empty
string; ``get_hashers()`` refuses a falsy algorithm name, hence the small ``str``
subclass that equals ``""`` but is truthy. Everything else is Django's normal path:
``check_password`` finds this hasher, sees it is not the preferred one and, after
a successful login, re-hashes the password with Argon2 (a hasher that is not the
first in PASSWORD_HASHERS always "must update", so no override is needed).
"""

from __future__ import annotations

import re

from django.contrib.auth.hashers import (
    UNUSABLE_PASSWORD_SUFFIX_LENGTH,
    BasePasswordHasher,
    make_password,
    mask_hash,
)
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_noop as _

# Node.js bcrypt (both libraries) hashes the UTF-8 bytes of the password and
# silently ignores everything past the 72nd byte. Python's bcrypt 5 raises
# instead, so the truncation is done here, the same way.
BCRYPT_MAX_PASSWORD_BYTES = 72

# Node's libraries default to cost 10. Each step doubles the work, and a stored cost of
# 31 would hold a worker for hours on every login attempt: a hash above this cap is
# treated like a damaged one (no password; the importer reports it for a reset).
MAX_NODE_BCRYPT_COST = 15
MIN_NODE_BCRYPT_COST = 4
NODE_BCRYPT_HASH = re.compile(r"\$(2[ab])\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})")


class _UnprefixedAlgorithm(str):
    """``""`` (what ``identify_hasher`` reads from ``$2b$...``), but truthy."""

    def __bool__(self) -> bool:
        return True


class LegacyNodeBcryptHasher(BasePasswordHasher):
    algorithm = _UnprefixedAlgorithm("")
    library = ("bcrypt", "bcrypt")
    rounds = 10  # node-bcrypt/bcryptjs default; only used by encode(), which Scribe never prefers

    def salt(self) -> str:
        bcrypt = self._load_library()
        return bcrypt.gensalt(self.rounds, prefix=b"2b").decode("ascii")

    def encode(self, password: str, salt: str) -> str:
        bcrypt = self._load_library()
        return bcrypt.hashpw(_node_password_bytes(password), salt.encode("ascii")).decode("ascii")

    def verify(self, password: str, encoded: str) -> bool:
        if is_node_bcrypt_hash(encoded):
            bcrypt = self._load_library()
            try:
                return bcrypt.checkpw(_node_password_bytes(password), encoded.encode("ascii"))
            except ValueError:
                # The shape of a bcrypt hash, but a salt bcrypt cannot read (its last
                # character carries unused bits no bcrypt library writes): a damaged row.
                pass
        # Anything else that starts with "$" (or an empty field) is no password:
        # spend the default hasher's work so it costs the same as a real check.
        make_password(get_random_string(UNUSABLE_PASSWORD_SUFFIX_LENGTH))
        return False

    def decode(self, encoded: str) -> dict:
        match = NODE_BCRYPT_HASH.fullmatch(encoded)
        if not match:
            raise ValueError("Not a Node.js bcrypt hash.")
        variant, cost, salt, checksum = match.groups()
        return {"algorithm": f"node-bcrypt-{variant}", "work_factor": int(cost), "salt": salt, "checksum": checksum}

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("work factor"): decoded["work_factor"],
            _("salt"): mask_hash(decoded["salt"]),
            _("checksum"): mask_hash(decoded["checksum"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        # Never called for a non-preferred hasher; nothing to equalise.
        return None


def _node_password_bytes(password: str) -> bytes:
    return password.encode("utf-8")[:BCRYPT_MAX_PASSWORD_BYTES]


def is_node_bcrypt_hash(encoded: str) -> bool:
    """A Node.js bcrypt hash Scribe will verify: the right shape and a cost within the cap."""
    match = NODE_BCRYPT_HASH.fullmatch(encoded or "")
    return bool(match) and MIN_NODE_BCRYPT_COST <= int(match.group(2)) <= MAX_NODE_BCRYPT_COST
