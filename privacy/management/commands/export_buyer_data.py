import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from inbox.models import Chat
from privacy.services import buyer_data_export


class Command(BaseCommand):
    help = "Print everything held about the buyer of one chat as JSON (a data subject's request)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chat", type=int, required=True, help="chat id")

    def handle(self, *args: object, **options: object) -> None:
        chat = Chat.objects.select_related("account").filter(pk=options["chat"]).first()
        if chat is None:
            raise CommandError(_("No chat with id %(id)s.") % {"id": options["chat"]})
        self.stdout.write(json.dumps(buyer_data_export(chat=chat), ensure_ascii=False, indent=2))
        audit_record(
            actor=None,
            action=AuditEvent.Action.EXPORTED,
            actor_name="export_buyer_data",
            target=chat,
            details={"what": "buyer data"},
        )
