# Interim: full Scribe token issue/verify lands with the accounts issue.
from rest_framework_simplejwt.tokens import RefreshToken


def token_pair_for(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": int(refresh.access_token.lifetime.total_seconds()),
    }
