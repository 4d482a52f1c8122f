"""``manage.py purge_ai_usage``: old daily-quota rows are deleted, today's still count."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, load_command_class
from django.utils import timezone

from ai.models import AiUsage

SEARCH = "/api/v1/ai/search"


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_ai_usage", *args, stdout=out)
    return out.getvalue().strip()


def usage_on(user, days_ago: int, n: int = 1) -> AiUsage:
    return AiUsage.objects.create(
        user=user, day=timezone.localdate() - timedelta(days=days_ago), n=n, operation="search"
    )


def test_it_deletes_rows_older_than_two_days_and_says_how_many(
    openai_stub, settings, clinician, other_clinician, client_for
):
    settings.AI_DAILY_QUOTA = 2
    client = client_for(clinician)
    assert client.post(SEARCH, {"query": "What is asthma?"}, format="json").status_code == 200
    kept = [usage_on(clinician, 1), usage_on(clinician, 2), usage_on(other_clinician, 2)]
    old = [usage_on(clinician, 3), usage_on(clinician, 3, n=2), usage_on(other_clinician, 40)]

    assert purge() == "Deleted 3 AI usage row(s) older than 2 day(s)."

    assert not AiUsage.objects.filter(pk__in=[row.pk for row in old]).exists()
    assert AiUsage.objects.filter(pk__in=[row.pk for row in kept]).count() == 3
    # Today's slot still counts: one left of two.
    assert client.post(SEARCH, {"query": "What is asthma?"}, format="json").status_code == 200
    assert client.post(SEARCH, {"query": "What is asthma?"}, format="json").status_code == 429
    assert purge() == "Deleted 0 AI usage row(s) older than 2 day(s)."


def test_it_takes_the_number_of_days_to_keep(clinician, db):
    usage_on(clinician, 0)
    usage_on(clinician, 1)
    usage_on(clinician, 2)
    assert purge("--days", "1") == "Deleted 1 AI usage row(s) older than 1 day(s)."
    assert sorted(AiUsage.objects.values_list("day", flat=True)) == [
        timezone.localdate() - timedelta(days=1),
        timezone.localdate(),
    ]


@pytest.mark.parametrize("days", ["0", "-3"])
def test_it_refuses_to_delete_the_rows_of_today(clinician, db, days):
    usage_on(clinician, 0)
    with pytest.raises(CommandError, match="at least 1"):
        purge("--days", days)
    assert AiUsage.objects.count() == 1


def test_it_explains_itself_in_help():
    help_text = load_command_class("ai", "purge_ai_usage").create_parser("manage.py", "purge_ai_usage").format_help()
    assert "Delete AI usage rows" in help_text
    assert "--days N" in help_text
    assert "default 2" in help_text
