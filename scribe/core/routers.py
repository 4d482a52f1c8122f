from __future__ import annotations

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes match with or without a trailing slash (the Node.js API had none;
    some frontend calls add one). Never a redirect: a redirected POST loses its body."""

    def __init__(self) -> None:
        super().__init__(trailing_slash=True)
        self.trailing_slash = "/?"
