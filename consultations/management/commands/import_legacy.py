"""manage.py import_legacy: bring a Node.js Scribe MongoDB database into this one."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import Caller, audit_record
from consultations.legacy.importer import ImportInterrupted, LegacyImporter
from consultations.legacy.progress import LineProgress, TerminalProgress
from consultations.legacy.readers import DumpReader, LegacyReader, ReaderError, open_live_reader
from consultations.legacy.report import CONFLICT, ImportReport
from consultations.legacy.sync import LegacySync
from scribe.core.files import output_path_check

EXIT_SKIPPED = 3
EXIT_INTERRUPTED = 4
ISSUES_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import the Node.js Scribe database (users, prompts, consultations, transcripts as "
        "segments, summaries, notes, revoked tokens) from a mongodump directory (--dump) or a "
        "running MongoDB (--uri). Safe to run again: rows already imported are found by their "
        "legacy _id and left alone, and a run that stopped half-way is completed. "
        f"Exit status: 0 done; {EXIT_SKIPPED} done but documents were skipped (see the report; "
        f"--allow-skips makes it 0); {EXIT_INTERRUPTED} stopped by --stop-after-writes; 1 the "
        "source could not be read (at the start or part-way)."
    )

    # The system checks import every view (and the AI client) to check the URLs: seconds of
    # start-up a command that serves no request does not need, and the final sync runs
    # inside the cutover's write freeze.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--dump", metavar="DIR", help="a mongodump directory (dump/ or dump/<database>/)")
        source.add_argument(
            "--uri", metavar="MONGODB_URI", help="a live database, e.g. mongodb://user:pass@host:27017/scribe"
        )
        parser.add_argument("--database", help="with --uri: the database to read when the URI names none")
        parser.add_argument(
            "--sync",
            action="store_true",
            help="bring a database imported before up to date: new documents, changed ones and deleted notes, "
            "decided by content; changes made in Scribe meanwhile are reported as conflicts and kept",
        )
        parser.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")
        parser.add_argument("--report", metavar="FILE", help="write the full report (every skip and repair) as JSON")
        parser.add_argument("--allow-skips", action="store_true", help="exit 0 even when documents were skipped")
        parser.add_argument(
            "--progress",
            choices=["auto", "bar", "lines", "off"],
            default="auto",
            help="progress on stderr: a bar per collection on a terminal, plain lines otherwise (auto)",
        )
        parser.add_argument("--batch-size", type=int, default=500, help="documents per batch (default 500)")
        parser.add_argument(
            "--stop-after-writes",
            type=int,
            metavar="N",
            help="stop abruptly after N rows are written, like a killed process (to rehearse resuming)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["report"]:
            output_path_check(options["report"], option="--report")  # before the import, not after it
        reader = self._reader(options)
        progress = self._progress(options["progress"])
        if options["sync"]:
            if options["stop_after_writes"] is not None:
                raise CommandError("--stop-after-writes rehearses a first import; it does not apply to --sync.")
            importer: LegacyImporter | LegacySync = LegacySync(
                reader, dry_run=options["dry_run"], progress=progress, batch_size=max(options["batch_size"], 1)
            )
        else:
            importer = LegacyImporter(
                reader,
                dry_run=options["dry_run"],
                stop_after_writes=options["stop_after_writes"],
                progress=progress,
                batch_size=max(options["batch_size"], 1),
            )
        try:
            try:
                report = importer.run()
            except ImportInterrupted as exc:
                report = importer.report
                self._finish(report, options)
                raise CommandError(
                    f"Import {exc}; run the same command again to complete it.", returncode=EXIT_INTERRUPTED
                ) from None
            except ReaderError as exc:
                report = importer.report
                self._finish(report, options)
                raise CommandError(
                    f"The source failed part-way: {exc}. What was written stays; run again once it reads."
                ) from None
        finally:
            reader.close()
            if not options["dry_run"]:
                # One event per run (it writes every imported record): who ran it and when.
                audit_record(caller=Caller.command("import_legacy"), model="consultation", action="import")
        self._finish(report, options)
        if report.skipped and not options["allow_skips"]:
            raise CommandError(
                f"{len(report.skipped)} document(s) skipped (listed above"
                + (f" and in {options['report']}" if options["report"] else "")
                + "); pass --allow-skips to accept them.",
                returncode=EXIT_SKIPPED,
            )

    def _reader(self, options: dict[str, Any]) -> LegacyReader:
        try:
            if options["dump"]:
                return DumpReader(options["dump"])
            return open_live_reader(options["uri"], database=options["database"])
        except ReaderError as exc:
            raise CommandError(str(exc)) from None

    def _progress(self, choice: str) -> Any:
        stream = self.stderr._out
        if choice == "off":
            return None
        if choice == "bar" or (choice == "auto" and stream.isatty()):
            return TerminalProgress(stream)
        return LineProgress(stream)

    def _finish(self, report: ImportReport, options: dict[str, Any]) -> None:
        if options["report"]:
            report.write_json(options["report"])
        out = self.stdout
        out.write("")
        out.write(f"Source: {report.source}")
        out.write(report.table())
        out.write("")
        for issue in report.issues[:ISSUES_SHOWN]:
            out.write(f"{issue.action:<8} {issue.collection}/{issue.id}: {issue.rule}: {issue.reason}")
        if len(report.issues) > ISSUES_SHOWN:
            out.write(f"... and {len(report.issues) - ISSUES_SHOWN} more (use --report FILE for all)")
        if report.fingerprinted:
            out.write(f"Fingerprints recorded for {report.fingerprinted} documents (what --sync compares).")
        if report.dry_run:
            out.write(self.style.WARNING("Dry run: nothing was written."))
        elif report.interrupted:
            out.write(self.style.WARNING(f"Stopped after {report.rows_written} rows."))
        elif report.sync and report.rows_written == 0 and report.fingerprinted == 0:
            out.write(self.style.SUCCESS("Nothing changed: Scribe was already up to date with the Node.js database."))
        elif report.sync:
            out.write(self.style.SUCCESS(f"Synced: {report.rows_written} rows written."))
        elif report.rows_written == 0:
            out.write(self.style.SUCCESS("Nothing changed: everything importable was already imported."))
        else:
            out.write(self.style.SUCCESS(f"Imported: {report.rows_written} rows written."))
        conflicts = sum(1 for issue in report.issues if issue.action == CONFLICT)
        if conflicts:
            out.write(
                self.style.WARNING(
                    f"{conflicts} document(s) changed both in Node.js and in Scribe: Scribe's version kept, "
                    "listed as 'conflict' above; settle them by hand."
                )
            )
        if options["report"]:
            out.write(f"Report written to {options['report']}")
        sys.stdout.flush()
