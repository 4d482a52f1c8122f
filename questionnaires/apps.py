from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "questionnaires"
    default_auto_field = "scribe.core.fields.PortableAutoField"

    def ready(self) -> None:
        # The history's NHS-number fingerprint, rebuilt by `manage.py rotate_field_keys` (issue 14).
        from questionnaires.services import nhs_number_digits
        from scribe.core import crypto
        from scribe.core.crypto_fields import BlindIndex, blind_index_register

        blind_index_register(
            BlindIndex(
                model="questionnaires.QuestionnaireResponse",
                field="nhs_number",
                compute=lambda row: crypto.nhs_fingerprint(nhs_number_digits(row.consultation.patient_data)),
                current_prefix=lambda: crypto.index_prefix().strip() + ":",
                select_related=("consultation",),
            )
        )
