"""Recount the reports' rollup (`TurnDay`) from the stored response turns: after chats, messages or users
were deleted outside the product's own paths, or to check it. Idempotent."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import MarketplaceAccount
from service.models import ResponseTurn, TurnDay
from service.rollup import RebuildScope, turn_days_rebuild


def day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from error


class Command(BaseCommand):
    help = "Recount the response-time rollup of the reports from the stored turns (all, or one account/days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, help="Only the rows of this account id.")
        parser.add_argument("--from", dest="date_from", type=day, help="First Moscow day (YYYY-MM-DD).")
        parser.add_argument("--to", dest="date_to", type=day, help="Last Moscow day, inclusive (YYYY-MM-DD).")

    def handle(self, *args: object, **options: object) -> None:
        scope = RebuildScope(
            account_id=options.get("account"),
            date_from=options.get("date_from"),
            date_to=options.get("date_to"),
        )
        if scope.date_from and scope.date_to and scope.date_from > scope.date_to:
            raise CommandError("--from is after --to")
        account_missing = not MarketplaceAccount.objects.filter(pk=scope.account_id).exists()
        if scope.account_id is not None and account_missing:
            raise CommandError(f"no account {scope.account_id}")
        filters = scope.filters()
        turns = ResponseTurn.objects.filter(**filters).count()
        rows_before = TurnDay.objects.filter(**filters).count()
        self.stdout.write(f"Recounting {turns} turns ({rows_before} rollup rows now)…")
        rows = turn_days_rebuild(
            scope=scope, progress=lambda count: self.stdout.write(f"  {count}/{turns} turns read")
        )
        self.stdout.write(
            self.style.SUCCESS(f"Done: {turns} turns in {rows} rollup rows (there were {rows_before}).")
        )
