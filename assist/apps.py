from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assist"
    verbose_name = _("Reply assistance")
