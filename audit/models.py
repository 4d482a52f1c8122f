"""The audit trail: one insert-only row per access to patient data.

Ids and names only (who, what, when, from where): never the data itself. Rows are
written and, past the retention period, deleted by ``audit_purge``; nothing updates one.
"""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    # Strings, not foreign keys: the trail outlives the users and records it names, and an
    # id may be a Node.js ``_id`` as the client sent it.
    user_id = models.CharField(max_length=64, blank=True, db_index=True)
    role = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    # The consultation the record belongs to, when the route named it: what the
    # clinician's access-log endpoint looks up.
    consultation_id = models.CharField(max_length=64, blank=True, db_index=True)
    action = models.CharField(max_length=24)
    # The route's name (``consultation-detail``, ``node-notes``, ``admin:...``) or the command's.
    source = models.CharField(max_length=100, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    ip = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)  # read-only for everyone, superusers included (admin.py)

    def __str__(self) -> str:
        return f"AuditEvent {self.pk}"
