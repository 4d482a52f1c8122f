"""manage.py export_legacy: write what changed in Scribe back into the Node.js database (rollback)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import Caller, audit_record
from consultations.legacy.export.exporter import LegacyExporter
from consultations.legacy.export.report import ExportReport
from consultations.legacy.export.writers import APPLY_SCRIPT, DumpWriter, ExportError, ExportWriter, open_live_writer

EXIT_SKIPPED = 3
LINES_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Write what was created or changed in Scribe since the import back into the Node.js "
        "collections as generation-3 documents: into a running MongoDB (--uri) or a mongodump-style "
        "directory (--dump DIR: DIR/<database>/<collection>.bson, restored with mongorestore into a "
        f"staging database and applied with DIR/{APPLY_SCRIPT}). Records made in Scribe get an "
        "ObjectId kept as their legacy_id, so a second export writes nothing. "
        f"Exit status: 0 done; {EXIT_SKIPPED} done but records could not be exported (see the report; "
        "--allow-skips makes it 0); 1 the target could not be written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--dump", metavar="DIR", help="write a mongodump-style directory (must not hold an export)")
        target.add_argument(
            "--uri", metavar="MONGODB_URI", help="the Node.js database, e.g. mongodb://host:27017/scribe"
        )
        parser.add_argument("--database", help="the Node.js database name (default: the URI's, or 'scribe' for --dump)")
        parser.add_argument("--dry-run", action="store_true", help="decide and report everything, write nothing")
        parser.add_argument("--report", metavar="FILE", help="write the full report (every line, deleted ids) as JSON")
        parser.add_argument("--allow-skips", action="store_true", help="exit 0 even when records were not exported")
        parser.add_argument("--batch-size", type=int, default=500, help="records per batch (default 500)")

    def handle(self, *args: Any, **options: Any) -> None:
        writer = self._writer(options)
        exporter = LegacyExporter(writer, dry_run=options["dry_run"], batch_size=max(options["batch_size"], 1))
        try:
            report = exporter.run()
        except ExportError as exc:
            self._finish(exporter.report, options)
            raise CommandError(
                f"The target failed part-way: {exc}. What was written stays recorded; run again once it answers."
            ) from None
        finally:
            if not options["dry_run"] or options["uri"]:
                writer.close()
            if not options["dry_run"]:
                # One event per run (it reads every record it sends back): who ran it and when.
                audit_record(caller=Caller.command("export_legacy"), model="consultation", action="export")
        self._finish(report, options)
        skipped = sum(counts["skipped"] for counts in report.counts.values())
        if skipped and not options["allow_skips"]:
            raise CommandError(
                f"{skipped} record(s) could not be exported (listed above); pass --allow-skips to accept them.",
                returncode=EXIT_SKIPPED,
            )

    def _writer(self, options: dict[str, Any]) -> ExportWriter:
        try:
            if options["dump"]:
                return DumpWriter(options["dump"], database=options["database"] or "scribe")
            return open_live_writer(options["uri"], database=options["database"])
        except ExportError as exc:
            raise CommandError(str(exc)) from None

    def _finish(self, report: ExportReport, options: dict[str, Any]) -> None:
        if options["report"]:
            report.write_json(options["report"])
        out = self.stdout
        out.write(f"Target: {report.target}")
        out.write(report.table())
        out.write("")
        for line in report.lines[:LINES_SHOWN]:
            out.write(f"{line.collection}/{line.id}: {line.rule}: {line.reason}")
        if len(report.lines) > LINES_SHOWN:
            out.write(f"... and {len(report.lines) - LINES_SHOWN} more (use --report FILE for all)")
        for collection, ids in report.deleted.items():
            out.write(f"deleted in Scribe: {collection}: {len(ids)} (ids in the report)")
        if report.dry_run:
            out.write(self.style.WARNING("Dry run: nothing was written."))
        elif report.documents_written == 0:
            out.write(self.style.SUCCESS("Nothing to export: Node.js already has everything."))
        else:
            out.write(self.style.SUCCESS(f"Exported: {report.documents_written} documents written or deleted."))
        if options["report"]:
            out.write(f"Report written to {options['report']}")
