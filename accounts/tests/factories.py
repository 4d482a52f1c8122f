from __future__ import annotations

import factory

from accounts.models import User

# Hashing with Argon2 in every factory call would dominate the suite's time.
FACTORY_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example-clinic.nhs.uk")
    username = factory.Sequence(lambda n: f"user{n}")
    role = "clinician"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or FACTORY_PASSWORD)
        if create:
            self.save(update_fields=["password"])
