from django.db import migrations, models


class Migration(migrations.Migration):
    """A daily budget of its own for live transcription (AI_LIVE_DAILY_QUOTA): slots are
    numbered per user, day and quota. Existing rows belong to the "ai" quota."""

    dependencies = [
        ("ai", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="aiusage",
            name="quota",
            field=models.CharField(default="ai", max_length=8),
        ),
        migrations.RemoveConstraint(
            model_name="aiusage",
            name="ai_usage_unique_slot",
        ),
        migrations.AddConstraint(
            model_name="aiusage",
            constraint=models.UniqueConstraint(fields=("user", "day", "quota", "n"), name="ai_usage_unique_quota_slot"),
        ),
    ]
