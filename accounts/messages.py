"""The contract's words for account errors (the frontend shows them as they are)."""

INCORRECT_LOGIN = "Incorrect email or password"
SESSION_REVOKED = "Session logged out. Please log in again."
INVALID_CREDENTIALS = "Invalid authentication credentials"
USER_EXISTS = "User already exists"
