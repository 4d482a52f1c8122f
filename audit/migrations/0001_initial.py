from django.db import migrations, models

import scribe.core.fields


class Migration(migrations.Migration):
    """The audit trail (issue 17 item 2): one insert-only row per access to patient data."""

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", scribe.core.fields.PortableAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(db_index=True)),
                ("user_id", models.CharField(blank=True, db_index=True, max_length=64)),
                ("role", models.CharField(blank=True, max_length=32)),
                ("model", models.CharField(max_length=40)),
                ("object_id", models.CharField(blank=True, max_length=64)),
                ("consultation_id", models.CharField(blank=True, db_index=True, max_length=64)),
                ("action", models.CharField(max_length=24)),
                ("source", models.CharField(blank=True, max_length=100)),
                ("status", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("request_id", models.CharField(blank=True, max_length=128)),
                ("ip", models.CharField(blank=True, max_length=64)),
            ],
            options={
                "ordering": ["-at", "-pk"],
                "default_permissions": ("view",),
            },
        ),
    ]
