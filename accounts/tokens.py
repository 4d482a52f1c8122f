# Placeholder until the accounts issue lands: issues a plain simplejwt access token.
from rest_framework_simplejwt.tokens import RefreshToken


def token_pair_for(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access_token": str(refresh.access_token), "refresh_token": str(refresh)}
