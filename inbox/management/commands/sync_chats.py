from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import MarketplaceAccount
from inbox.sync import account_sync, sync_states_ensure


class Command(BaseCommand):
    help = "Run one synchronous incremental sync pass and print a summary per account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, help="Only this account id (default: every active one)")

    def handle(self, *args: Any, **options: Any) -> None:
        sync_states_ensure()
        accounts = MarketplaceAccount.objects.order_by("pk")
        if options["account"] is not None:
            accounts = accounts.filter(pk=options["account"])
            if not accounts.exists():
                raise CommandError(f"No account with id {options['account']}.", returncode=2)
        else:
            accounts = accounts.filter(is_active=True)
        failed = 0
        for account in accounts:
            label = f"#{account.pk} {account.get_marketplace_display()} «{account.name}»"
            if not account.is_active:
                self.stdout.write(f"{label}: account is inactive, skipped")
                continue
            outcome = account_sync(account_id=account.pk, force=True)
            if not outcome.ran:
                if outcome.next_sync_at is not None:
                    until = timezone.localtime(outcome.next_sync_at)
                    self.stdout.write(f"{label}: rate limited until {until:%Y-%m-%d %H:%M:%S}, skipped")
                else:
                    self.stdout.write(f"{label}: another worker is syncing it right now, skipped")
                continue
            counts = outcome.counts
            summary = (
                f"{label}: {outcome.outcome}; pages {counts.pages}, requests {counts.requests}, "
                f"chats {counts.chats_upserted}, new messages {counts.messages_created}, "
                f"replies confirmed {counts.replies_matched}, skipped items {counts.skipped}"
            )
            self.stdout.write(summary)
            for note in outcome.skipped_items[:20]:
                self.stdout.write(f"  skipped: {note}")
            if outcome.error:
                failed += 1
                self.stdout.write(f"  error: {outcome.error}")
        if failed:
            raise CommandError(f"{failed} account(s) failed to sync.", returncode=1)
