"""The rollback on the MongoDB engine with no server:
``MONGODB_URI=... python -m consultations.tests.legacy_export_mongo_probe``.

Both MongoDB databases are mongomock's in-memory ones, put in at the driver boundary:
Scribe's (django-mongodb-backend's ``MongoClient``) and the Node.js one that
``import_legacy --uri`` and ``export_legacy --uri`` open with pymongo (``mongomock.patch``
for its host). The real commands, the real backend (querysets compiled to MQL) and the
real pymongo write calls run. The Node.js database starts as the node-dump; the probe
imports it, changes records through the services, exports twice and prints, as extended
JSON, what a test needs to check.
"""

from __future__ import annotations

import json
import os
import sys
from io import StringIO
from pathlib import Path

import mongomock
from bson import json_util

NODE_HOST = "node-mongo.invalid"
NODE_URI = f"mongodb://{NODE_HOST}:27017/scribe"


def main() -> None:
    assert os.environ.get("MONGODB_URI"), "run with MONGODB_URI set"
    # django-mongodb-backend refuses servers older than 6.0; mongomock reports this version.
    mongomock.SERVER_VERSION = "7.0.0"
    import django_mongodb_backend.base as backend_base

    scribe_client = mongomock.MongoClient()
    backend_base.MongoClient = lambda **kwargs: scribe_client
    backend_base.Collection = lambda database, name, **kwargs: database.get_collection(name)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scribe.settings")
    import django

    django.setup()

    import pymongo
    from django.core.management import CommandError, call_command

    from accounts.models import User
    from consultations.models import Consultation, LegacyDocument, Note
    from consultations.services import consultation_start, note_delete, note_update
    from consultations.tests.legacy_support.node_dump import NODE_MANIFEST, node_docs

    def command(name: str, *args: str) -> dict:
        report = Path(os.environ["PROBE_TMP"]) / f"{name}-{len(list(Path(os.environ['PROBE_TMP']).iterdir()))}.json"
        out = StringIO()
        try:
            call_command(name, *args, "--report", str(report), stdout=out, stderr=StringIO())
        except CommandError as exc:
            raise SystemExit(f"{name} failed: {exc}\n{out.getvalue()}") from None
        return json.loads(report.read_text())

    with mongomock.patch(servers=((NODE_HOST, 27017),)):
        node = pymongo.MongoClient(NODE_URI)["scribe"]
        for name, docs in node_docs().items():
            if docs:
                node[name].insert_many(docs)

        command("import_legacy", "--uri", NODE_URI, "--allow-skips", "--progress", "off")
        leo_id = next(u["id"] for u in NODE_MANIFEST["users"] if u["username"] == "dr_leo2")
        leo = User.objects.get(legacy_id=leo_id)
        new = consultation_start(clinician=leo, patient_data={"name": "Ada Lovelace"})
        edited, deleted = list(Note.objects.filter(clinician=leo).order_by("legacy_id"))[:2]
        note_update(note=edited, body="Reviewed on MongoDB.")
        note_delete(note=deleted)

        first = command("export_legacy", "--uri", NODE_URI, "--allow-skips")
        second = command("export_legacy", "--uri", NODE_URI, "--allow-skips")
        new = Consultation.objects.get(pk=new.pk)
        out = {
            "first": first,
            "second": second,
            "new_consultation": {"pk": new.pk, "legacy_id": new.legacy_id},
            "new_transcript": {"pk": new.transcript.pk, "legacy_id": new.transcript.legacy_id},
            "node_consultation": node["consultations"].find_one({"_id": new.pk}),
            "node_transcript": node["transcripts"].find_one({"_id": new.transcript.pk}),
            "node_edited_note": node["notes"].find_one({"_id": edited.pk}),
            "node_deleted_note": node["notes"].find_one({"_id": deleted.pk}),
            "deleted_note": deleted.legacy_id,
            "legacy_rows": sorted(
                LegacyDocument.objects.filter(legacy_id=new.legacy_id).values_list("collection", flat=True)
            ),
        }
    sys.stdout.write(json_util.dumps(out))


if __name__ == "__main__":
    main()
