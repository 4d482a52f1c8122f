"""Bearer tokens on the Node.js face: Scribe's own authentication, one more distinction.

The frontend shows a different sentence for an expired token than for an invalid
one, so a token that fails only because its ``exp`` passed is reported as
``token_expired`` here; ``/api/v1`` keeps its single wording.
"""

from __future__ import annotations

from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import ScribeJWTAuthentication
from accounts.tokens import token_expired
from legacy_api.errors import EXPIRED


class NodeJWTAuthentication(ScribeJWTAuthentication):
    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed as failure:
            if str(failure.get_codes()) == "token_not_valid":
                parts = (self.get_header(request) or b"").split()
                if len(parts) == 2 and parts[0] == b"Bearer" and token_expired(parts[1].decode("latin-1")):
                    raise AuthenticationFailed(EXPIRED, code="token_expired") from None
            raise
