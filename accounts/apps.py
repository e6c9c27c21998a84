from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Marketplace accounts")

    def ready(self) -> None:
        from accounts import fields

        fields.connect_key_reset()
