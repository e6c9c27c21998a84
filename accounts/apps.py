from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def schedules_after_migrate(*, using: str = "default", **kwargs: Any) -> None:
    """`migrate` leaves the periodic jobs in place, so a fresh install syncs without extra steps."""
    from django.db import connections

    if "django_q_schedule" not in connections[using].introspection.table_names():
        return
    from inbox.services.schedules import schedules_setup

    schedules_setup(using=using)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Marketplace accounts")

    def ready(self) -> None:
        from accounts import fields

        fields.connect_key_reset()
        post_migrate.connect(schedules_after_migrate, sender=self, dispatch_uid="accounts-setup-schedules")
