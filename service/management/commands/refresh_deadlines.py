"""Build the turns and deadlines of existing chats (after installing the service app, or to repair)."""

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from inbox.models import Chat
from service.deadlines import chat_deadlines_refresh

BATCH = 2000


class Command(BaseCommand):
    help = (
        "Recompute response turns, reply windows, deadlines and SLA states of every chat (or of one account)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, help="Only the chats of this account id.")

    def handle(self, *args: object, **options: object) -> None:
        chats = Chat.objects.order_by("pk")
        if options.get("account"):
            chats = chats.filter(account_id=options["account"])
        chat_ids = list(chats.values_list("pk", flat=True))
        changed = 0
        for index in range(0, len(chat_ids), BATCH):
            with transaction.atomic():
                changed += chat_deadlines_refresh(chat_ids=chat_ids[index : index + BATCH])
            self.stdout.write(f"{min(index + BATCH, len(chat_ids))}/{len(chat_ids)} chats")
        self.stdout.write(self.style.SUCCESS(f"Done: {len(chat_ids)} chats, {changed} changed."))
