"""manage.py export_consultation ID: one consultation as a JSON document (subject access requests)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import Caller, audit_record
from consultations.models import Consultation
from consultations.selectors import consultation_export
from scribe.core.files import output_path_check, private_file_write
from scribe.core.ids import parse_pk


class Command(BaseCommand):
    help = (
        "Print one consultation (patient details, transcript with its segments, notes and every "
        "summary version) as one JSON document, for a subject access request. ID is Scribe's "
        "consultation id, or the Node.js _id with --legacy. Writes to stdout, or to --output FILE. "
        "The output holds patient data: handle it accordingly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", help="the consultation's id")
        parser.add_argument(
            "--legacy", action="store_true", help="ID is the consultation's _id in the Node.js database"
        )
        parser.add_argument("--output", metavar="FILE", help="write the JSON here instead of stdout (created 0600)")

    def handle(self, *args: Any, **options: Any) -> None:
        output = output_path_check(options["output"]) if options["output"] else None
        raw = options["id"]
        if options["legacy"]:
            lookup = {"legacy_id": raw.strip().lower()}
        else:
            pk = parse_pk(raw)
            lookup = {"pk": pk} if pk is not None else None
        consultation = Consultation.objects.select_related("clinician").filter(**lookup).first() if lookup else None
        if consultation is None:
            raise CommandError(f"No consultation with {'legacy ' if options['legacy'] else ''}id {raw!r}.")
        audit_record(
            caller=Caller.command("export_consultation"),
            model="consultation",
            action="export",
            object_id=consultation.pk,
            consultation_id=consultation.pk,
        )
        text = json.dumps(consultation_export(consultation), indent=2, ensure_ascii=False, sort_keys=False)
        if output is not None:
            private_file_write(output, text + "\n")  # patient data: owner-only (0600)
            self.stderr.write(f"Consultation {consultation.pk} written to {options['output']}")
        else:
            self.stdout.write(text)
