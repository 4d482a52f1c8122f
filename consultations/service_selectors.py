"""What a service account (a machine client with an API key) may read.

Decided for issue 17 item 5: a clinic's integration engine files *signed* notes into the
patient's record, so a service account reads every **signed** summary version of this
deployment (one deployment serves one clinic) and nothing else: no drafts, no
transcripts, no segments, no clinician notes. Any other role gets nothing from these
queries (the ownership rule lives here, in the query, like every selector's). Kept in a
module of its own so the clinicians' selectors stay as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from accounts.models import Role
from consultations.models import Summary
from consultations.selectors import id_lookup
from scribe.core.exceptions import NotFound


def _signed_summaries(*, user: Any) -> QuerySet[Summary]:
    if getattr(user, "role", None) != Role.SERVICE or not getattr(user, "is_active", False):
        return Summary.objects.none()
    # The inner join on the transcript's consultation keeps half-made rows out (see selectors).
    return Summary.objects.filter(signed_at__isnull=False, transcript__consultation__isnull=False).select_related(
        "transcript__consultation"
    )


def summary_signed_list(*, user: Any, signed_after: datetime | None = None) -> QuerySet[Summary]:
    """Signed summary versions readable by ``user``, oldest signature first (an engine pulls
    what was signed after the last one it filed: ``signed_after``)."""
    qs = _signed_summaries(user=user)
    if signed_after is not None:
        qs = qs.filter(signed_at__gt=signed_after)
    return qs.order_by("signed_at", "pk")


def summary_signed_get(*, user: Any, pk: object) -> Summary:
    """One signed summary version readable by ``user``, or ``NotFound`` (a draft too)."""
    lookup = id_lookup(pk)
    if lookup is None:
        raise NotFound("Summary not found.")
    try:
        return _signed_summaries(user=user).get(lookup)
    except Summary.DoesNotExist:
        raise NotFound("Summary not found.") from None
