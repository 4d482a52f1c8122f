"""Import the sample dump on the MongoDB engine with no server:
``MONGODB_URI=... python -m consultations.tests.legacy_mongo_probe``.

PyMongo's client and collection (as django-mongodb-backend imports them) are the
recording fakes of ``scribe.testing.mongo_probe``, except that ``insert_many``
behaves as PyMongo's does: it keeps a document's own ``_id`` and gives one to a
document without. Every read answers nothing (an empty database), so this is a
first import. The real ``import_legacy`` command and the real backend run; the
probe prints, as extended JSON, every document the backend inserted, per collection.
"""

from __future__ import annotations

import os
import sys
from io import StringIO

from bson import ObjectId, json_util

from scribe.testing import mongo_probe


class InsertingCollection(mongo_probe.FakeCollection):
    def insert_many(self, documents, session=None, **kwargs):
        self._record("insert_many", documents)
        for document in documents:
            document.setdefault("_id", ObjectId())
        return mongo_probe.FakeResult(inserted_ids=[document["_id"] for document in documents])


def main() -> None:
    assert os.environ.get("MONGODB_URI"), "run with MONGODB_URI set"
    import django_mongodb_backend.base as backend_base

    backend_base.MongoClient = mongo_probe.FakeMongoClient
    backend_base.Collection = InsertingCollection

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scribe.settings")
    import django

    django.setup()

    from django.core.management import call_command

    from consultations.tests.legacy_support import SAMPLE_DUMP

    out = StringIO()
    call_command(
        "import_legacy", "--dump", str(SAMPLE_DUMP), "--allow-skips", "--progress", "off", stdout=out, stderr=StringIO()
    )
    inserted: dict[str, list[dict]] = {}
    for call in mongo_probe.CALLS:
        if call["op"] == "insert_many":
            inserted.setdefault(call["collection"], []).extend(call["args"][0])
    sys.stdout.write(json_util.dumps({"inserted": inserted, "output": out.getvalue()}))


if __name__ == "__main__":
    main()
