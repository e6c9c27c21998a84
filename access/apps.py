from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from access import receivers, schema  # noqa: F401 - the two-factor step at login; the API schema

        # django-otp names its model in English without gettext; the admin shows it in Russian.
        TOTPDevice._meta.verbose_name = _("TOTP device")
        TOTPDevice._meta.verbose_name_plural = _("TOTP devices")
