from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "scribe.core.fields.PortableAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts import authcache

        def user_changed(sender, instance, created: bool = False, **kwargs) -> None:
            # Any saved change (active flag, role, password, name...) ends the cached token
            # checks of that user; a new user has none.
            if not created:
                authcache.invalidate_user(pk=instance.pk, legacy_id=instance.legacy_id)

        post_save.connect(user_changed, sender="accounts.User", dispatch_uid="accounts.authcache.saved")
        post_delete.connect(user_changed, sender="accounts.User", dispatch_uid="accounts.authcache.deleted")
