# Placeholder until the accounts issue lands: replaced by Scribe's JWT authentication.
from rest_framework_simplejwt.authentication import JWTAuthentication


class ScribeJWTAuthentication(JWTAuthentication):
    pass
