from __future__ import annotations

from django.contrib.admin import AdminSite


class ScribeAdminSite(AdminSite):
    site_header = "Scribe administration"
    site_title = "Scribe admin"
    index_title = "Clinic data"
