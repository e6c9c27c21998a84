from django.apps import AppConfig, apps
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
        # So do the admin's sections of the third-party apps ("OTP_TOTP", "AXES", "DJANGO Q").
        for label, name in (
            ("otp_totp", _("Two-factor authentication")),
            ("axes", _("Login attempts")),
            ("django_q", _("Background tasks")),
        ):
            apps.get_app_config(label).verbose_name = name
