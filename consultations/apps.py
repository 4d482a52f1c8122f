from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"
    default_auto_field = "scribe.core.fields.PortableAutoField"

    def ready(self) -> None:
        # The list's blind index, rebuilt by `manage.py rotate_field_keys` (issue 14).
        from consultations.services import patient_search_name
        from scribe.core import crypto
        from scribe.core.crypto_fields import BlindIndex, blind_index_register

        blind_index_register(
            BlindIndex(
                model="consultations.Consultation",
                field="patient_name",
                compute=lambda row: patient_search_name(row.patient_data),
                current_prefix=crypto.index_prefix,
            )
        )
