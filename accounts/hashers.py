# Placeholder until the accounts issue lands: replaced by the real Node.js bcrypt hasher.
from django.contrib.auth.hashers import BCryptPasswordHasher


class LegacyNodeBcryptHasher(BCryptPasswordHasher):
    algorithm = "legacy_node_bcrypt"
