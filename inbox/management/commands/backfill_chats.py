import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import MarketplaceAccount
from inbox.sync import LeaseLostError, SyncReport, account_backfill
from marketplaces.errors import MarketplaceError


def since_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since must be YYYY-MM-DD, got {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Import the chat history of one account (original timestamps, marked read). Resumes where an "
        "interrupted run stopped; --dry-run fetches and counts without writing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, required=True)
        parser.add_argument("--since", type=str, help="Oldest date to import, YYYY-MM-DD")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        since = since_date(options["since"]) if options["since"] else None
        account = MarketplaceAccount.objects.filter(pk=options["account"]).first()
        if account is None:
            raise CommandError(f"No account with id {options['account']}.", returncode=2)
        interactive = hasattr(self.stdout, "isatty") and self.stdout.isatty()
        dry = " (dry run: nothing is written)" if options["dry_run"] else ""
        self.stdout.write(f"Backfilling #{account.pk} «{account.name}»{dry}")

        def report(progress: SyncReport) -> None:
            counts = progress.counts
            line = (
                f"pages {counts.pages} · messages {counts.messages_created} · "
                f"chats {counts.chats_upserted} · skipped {counts.skipped} · "
                f"{progress.rate:.1f} msg/s"
            )
            if interactive:
                self.stdout.write(f"\r{line}", ending="")
                self.stdout.flush()
            else:
                self.stdout.write(line)

        try:
            progress = account_backfill(
                account_id=account.pk, since=since, dry_run=options["dry_run"], on_page=report
            )
        except LeaseLostError:
            raise CommandError("The account stayed busy with another sync; try again later.") from None
        except MarketplaceError as error:
            raise CommandError(f"Backfill stopped: {error.message}") from None
        except KeyboardInterrupt:
            self.stdout.write("")
            raise CommandError("Interrupted; run the command again to continue from the last page.") from None
        if interactive:
            self.stdout.write("")
        if progress.stopped_reason:
            self.stdout.write(progress.stopped_reason)
        verb = "would create" if options["dry_run"] else "created"
        self.stdout.write(
            f"{'Done' if progress.finished else 'Stopped'}: {progress.counts.pages} pages, "
            f"{verb} {progress.counts.messages_created} messages, {progress.counts.skipped} skipped items."
        )
        sys.stdout.flush()
