from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from access import receivers  # noqa: F401 - decides the two-factor step at login
