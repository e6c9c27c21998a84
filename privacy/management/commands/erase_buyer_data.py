from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from inbox.models import Chat
from privacy.services import chat_personal_data_erase


class Command(BaseCommand):
    help = "Erase the buyer's name, message texts and files of one chat (a data subject's request)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chat", type=int, required=True, help="chat id")

    def handle(self, *args: object, **options: object) -> None:
        chat = Chat.objects.filter(pk=options["chat"]).first()
        if chat is None:
            raise CommandError(_("No chat with id %(id)s.") % {"id": options["chat"]})
        counts = chat_personal_data_erase(chat=chat)
        audit_record(
            actor=None,
            action=AuditEvent.Action.PERSONAL_DATA_PURGED,
            actor_name="erase_buyer_data",
            target_type="inbox.chat",
            target_id=str(chat.pk),
            details={"messages": counts.messages, "files": counts.files},
        )
        self.stdout.write(
            _("Erased the buyer's data of chat %(id)s: %(messages)s messages, %(files)s files.")
            % {"id": chat.pk, "messages": counts.messages, "files": counts.files}
        )
