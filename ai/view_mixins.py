"""What every view that waits on the AI provider shares, the ``/api/v1`` ones (``ai.views``)
and the Node-face ones (``legacy_api.views.base``)."""

from __future__ import annotations

from ai import client
from scribe.core.asyncdb import release_connections


class AIRequestMixin:
    """One time budget (``AI_REQUEST_BUDGET_SECONDS``) shared by all provider calls of
    an async request, started before authentication; and authentication's database
    connection (run in a thread by adrf) given back before the provider is awaited
    (``scribe.core.asyncdb``). Goes before the ``adrf`` view class in the bases."""

    async def async_dispatch(self, request, *args, **kwargs):
        with client.request_budget():
            return await super().async_dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)
        finally:
            release_connections()
