"""Field encryption on MongoDB without a server: ``python -m scribe.testing.mongo_crypto_probe``.

The same recording fakes as ``scribe.testing.mongo_probe`` stand in for PyMongo; the real
django-mongodb-backend compiles Scribe's writes, searches and rotation updates to MQL, and
canned documents (as a server would return them) are read back through the fields. Prints
one JSON document for ``scribe/tests/test_mongodb_encryption.py``.
"""

from __future__ import annotations

import os
import sys

from bson import ObjectId, json_util

from scribe.testing.mongo_probe import AGGREGATE_ANSWERS, CALLS, FakeCollection, FakeMongoClient

PATIENT = {"name": "Zebedee Quartermaine", "age": 47, "nhs_number": "943 476 5919"}
SEGMENT = "Crushing chest pain radiating to the jaw."
NOTE = "Refer urgently to the Whitby cardiology clinic."
SOAP = {"subjective": "Chest pain on the Ravenscar steps", "plan": "Aspirin and ambulance"}


def main() -> None:
    assert os.environ.get("MONGODB_URI"), "run with MONGODB_URI set"
    import django_mongodb_backend.base as backend_base

    backend_base.MongoClient = FakeMongoClient
    backend_base.Collection = FakeCollection
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scribe.settings")
    import django

    django.setup()

    from accounts.models import User
    from consultations import services
    from consultations.models import Consultation, Note, Segment, Summary
    from consultations.selectors import consultation_list
    from scribe.core import crypto
    from scribe.core.crypto_fields import Ciphertext, stored_values

    clinician = User(pk=ObjectId("64b7f0c2a1b2c3d4e5f60718"), email="dr@example.nhs.uk", role="clinician")
    transcript_id = ObjectId("64b7f0c2a1b2c3d4e5f6071a")
    out: dict = {"plain": [PATIENT["name"], "Quartermaine", "9434765919", SEGMENT, NOTE, *SOAP.values()]}
    queries: dict = {}

    def run(label: str, action) -> None:
        start = len(CALLS)
        try:
            result, error = action(), None
        except Exception as exc:  # reported to the test, which asserts on it
            result, error = None, f"{type(exc).__name__}: {exc}"
        queries[label] = {"calls": CALLS[start:], "result": result, "error": error}

    run("consultation_start", lambda: str(services.consultation_start(clinician=clinician, patient_data=PATIENT).pk))
    run("segment_insert", lambda: str(Segment.objects.create(transcript_id=transcript_id, seq=2, text=SEGMENT).pk))
    run(
        "summary_insert",
        lambda: str(Summary.objects.create(transcript_id=transcript_id, version=1, content=SOAP, text=SOAP["plan"]).pk),
    )
    run(
        "note_insert",
        lambda: str(
            Note.objects.create(
                consultation_id=ObjectId(), transcript_id=transcript_id, clinician=clinician, body=NOTE
            ).pk
        ),
    )
    run("search", lambda: len(list(consultation_list(user=clinician, search="zebedee quar", nhs_number="9434765919"))))
    # A document as the server stores it: read back plain through the field.
    stored = crypto.encrypt_json(PATIENT)
    AGGREGATE_ANSWERS.append(
        [
            {
                "_id": ObjectId(),
                "clinician_id": clinician.pk,
                "patient_data": stored,
                "patient_name": "",
                "status": "active",
            }
        ]
    )
    run("read_back", lambda: Consultation.objects.only("patient_data").get(clinician=clinician).patient_data)
    with stored_values():
        run(
            "rotation_update",
            lambda: Segment.objects.filter(pk=ObjectId(), text=Ciphertext(stored)).update(
                text=Ciphertext("enc1:00000000:new")
            ),
        )
    out["token_nhs"] = crypto.nhs_search_tokens("9434765919")[0].strip()
    out["prefix"] = crypto.current_prefix()
    out["queries"] = queries
    sys.stdout.write(json_util.dumps(out, json_options=json_util.RELAXED_JSON_OPTIONS))


if __name__ == "__main__":
    main()
