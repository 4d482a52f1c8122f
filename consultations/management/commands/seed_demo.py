"""manage.py seed_demo: a demo clinician with a few consultations, for trying the API."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Role, User, normalise_email
from accounts.serializers import RegisterInput
from accounts.services import user_register
from consultations import services
from consultations.models import Consultation, Prompt
from scribe.core.exceptions import ApplicationError

DEMO_EMAIL = "demo.clinician@scribe.example"
DEMO_USERNAME = "demo_clinician"
DEMO_PROMPT = ("Demo SOAP note", "Summarise the consultation as a SOAP note. Use UK spelling. List red flags first.")

# (patient, lines of the conversation, notes, summary or None for a consultation left active)
DEMO_CONSULTATIONS: list[tuple[dict[str, Any], list[str], list[str], dict[str, str] | None]] = [
    (
        {"name": "Alex Demo", "age": 42, "nhs_number": "9990000018"},
        [
            "Clinician: Good morning, what brings you in today?",
            "Patient: I've had a dry cough for about ten days.",
            "Clinician: Any fever, breathlessness or chest pain?",
            "Patient: A mild temperature at first, nothing now.",
            "Clinician: Your chest sounds clear and your oxygen level is 98%.",
        ],
        ["Safety-netted: return if breathless or coughing blood."],
        {
            "subjective": "Dry cough for 10 days, initial low-grade fever, now afebrile.",
            "objective": "Chest clear, SpO2 98% on air.",
            "assessment": "Post-viral cough.",
            "plan": "Simple analgesia, fluids; review if not settling in 3 weeks.",
        },
    ),
    (
        {"name": "Sam Example", "age": 67, "nhs_number": "9990000026"},
        [
            "Clinician: How have your blood pressure readings been at home?",
            "Patient: Mostly around 150 over 90.",
            "Clinician: Today it is 148/92. Are you taking the amlodipine every day?",
            "Patient: Yes, every morning.",
        ],
        ["Home BP diary reviewed.", "Bloods requested: U&E, lipids, HbA1c."],
        {
            "subjective": "Home BP readings around 150/90, adherent to amlodipine 5 mg.",
            "objective": "Clinic BP 148/92.",
            "assessment": "Hypertension, not at target.",
            "plan": "Increase amlodipine to 10 mg; bloods; review in 4 weeks.",
        },
    ),
    (
        {"name": "Jo Trial", "age": 29},
        [
            "Clinician: Hello, what can I do for you today?",
            "Patient: I've had headaches most afternoons for two weeks.",
        ],
        [],
        None,
    ),
]


class Command(BaseCommand):
    help = (
        "Create a demo clinician with a few consultations (transcript segments, notes, summaries) "
        "and print how to log in, for trying the API after `make run`. Safe to run again: the "
        "clinician and each demo consultation are made once. The password is random and printed "
        "when the clinician is created (or set with --password). Refuses to run with DEBUG off "
        "unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default=DEMO_EMAIL, help=f"the demo clinician's email (default {DEMO_EMAIL})")
        parser.add_argument("--password", help="set this password (on creation or on an existing demo clinician)")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off (a real deployment)")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="where Scribe runs, for the printed curl commands"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG is off: this looks like a real deployment. Pass --force to seed it anyway.")
        self._check_like_registration(options["email"], options["password"])
        email = normalise_email(options["email"])
        user, password = self._clinician(email, options["password"])
        prompt = self._prompt(user)
        made = sum(self._consultation(user, prompt, *spec) for spec in DEMO_CONSULTATIONS)

        self.stdout.write(f"Demo clinician: {email} ({user.consultations.count()} consultations, {made} new)")
        if password:
            self.stdout.write(f"Password: {password}")
            shown = password
        else:
            self.stdout.write("Password: unchanged since it was set (pass --password to set a new one)")
            shown = "<password>"
        url = options["url"].rstrip("/")
        login = (
            f"curl -s -X POST {url}/api/v1/users/login -H 'Content-Type: application/json' \\\n"
            f'       -d \'{{"email": "{email}", "password": "{shown}"}}\''
        )
        self.stdout.write(
            "Log in (after `make run`):\n"
            f"  {login}\n"
            "then send `Authorization: Bearer <access_token>`, e.g. GET /api/v1/consultations/ "
            f"(or try it at {url}/docs)."
        )
        transcript = self._summary_transcript(user)
        if transcript is not None:
            # The product's main job in two commands (`make run` answers with the demo AI
            # provider when no real one is configured).
            self.stdout.write(
                "A SOAP summary of a demo consultation:\n"
                f"  TOKEN=$({login} \\\n"
                "       | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
                f"  curl -s -X POST {url}/api/v1/transcripts/{transcript.pk}/summarize "
                '-H "Authorization: Bearer $TOKEN" \\\n'
                "       -H 'Content-Type: application/json' -d '{}'"
            )

    @staticmethod
    def _summary_transcript(user: User) -> Any:
        first = (
            Consultation.objects.filter(
                clinician=user, patient_name=services.patient_search_name(DEMO_CONSULTATIONS[0][0])
            )
            .select_related("transcript")
            .first()
        )
        return getattr(first, "transcript", None)

    def _check_like_registration(self, email: str, password: str | None) -> None:
        """The email and password rules of ``POST users/register``, before anything is written."""
        data = {"username": DEMO_USERNAME, "email": email, "role": Role.CLINICIAN}
        # A random password passes; the one given is checked by the service's validators below.
        checked = RegisterInput(data={**data, "password": password or "x"})
        problems: dict[str, list[str]] = (
            {}
            if checked.is_valid()
            else {name: [str(m) for m in messages] for name, messages in checked.errors.items()}
        )
        if password:
            try:
                validate_password(password, user=User(email=normalise_email(email), username=DEMO_USERNAME))
            except ValidationError as exc:
                problems.setdefault("password", []).extend(exc.messages)
        if problems:
            lines = "; ".join(f"--{name}: {' '.join(str(m) for m in messages)}" for name, messages in problems.items())
            raise CommandError(f"Refused (the rules of registration): {lines}")

    def _clinician(self, email: str, password: str | None) -> tuple[User, str | None]:
        user = User.objects.filter(email=email).first()
        if user is not None:
            if user.role != Role.CLINICIAN:
                raise CommandError(f"{email} exists and is not a clinician; choose another --email.")
            if password:
                user.set_password(password)
                user.save(update_fields=["password"])
            return user, password
        password = password or secrets.token_urlsafe(12)
        try:
            user = user_register(username=DEMO_USERNAME, email=email, password=password, role=Role.CLINICIAN)
        except ApplicationError as exc:
            raise CommandError(f"Cannot create the demo clinician: {exc.detail} {getattr(exc, 'errors', '')}") from exc
        return user, password

    def _prompt(self, user: User) -> Prompt:
        name, text = DEMO_PROMPT
        existing = Prompt.objects.filter(owner=user, name=name, is_deleted=False).first()
        return existing or services.prompt_create(owner=user, name=name, text=text, is_shareable=False)

    def _consultation(
        self,
        user: User,
        prompt: Prompt,
        patient: dict[str, Any],
        lines: list[str],
        notes: list[str],
        summary: dict[str, str] | None,
    ) -> bool:
        """Make one demo consultation unless the clinician already has it (by patient name)."""
        if Consultation.objects.filter(clinician=user, patient_name=services.patient_search_name(patient)).exists():
            return False
        consultation = services.consultation_start(clinician=user, patient_data=patient)
        transcript = consultation.transcript
        for seq, line in enumerate(lines):
            speaker = "patient" if line.startswith("Patient:") else "clinician"
            services.segment_append(transcript=transcript, seq=seq, text=line, speaker=speaker)
        for body in notes:
            services.note_create(clinician=user, consultation=consultation, body=body)
        if summary is not None:
            text = "\n".join(f"{key.capitalize()}: {value}" for key, value in summary.items())
            services.transcript_summary_add(
                transcript=transcript, content=summary, text=text, model="demo", prompt=prompt
            )
            services.consultation_end(consultation=consultation)
        return True
