from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from inbox.text_index_repair import repair_after_migrate

        post_migrate.connect(repair_after_migrate, sender=self, dispatch_uid="inbox_text_index_repair")
