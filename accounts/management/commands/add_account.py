import contextlib
import json
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import NoReverseMatch, reverse

from accounts import services
from accounts.admin import PUSH_ROUTES
from accounts.credentials import CREDENTIAL_FIELDS
from marketplaces.errors import MarketplaceError


class Command(BaseCommand):
    help = (
        "Connect a marketplace cabinet. Credentials JSON is read from standard input, never from arguments: "
        'Wildberries {"token"}, Ozon {"client_id","api_key"}, Yandex Market {"api_key","business_id"}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--marketplace", required=True, help=", ".join(CREDENTIAL_FIELDS))
        parser.add_argument("--name", required=True)
        parser.add_argument("--member", action="append", default=[], metavar="USERNAME")
        parser.add_argument(
            "--no-check", action="store_true", help="Do not verify credentials with the marketplace"
        )

    def fail(self, message: str) -> CommandError:
        return CommandError(message, returncode=2)

    def handle(self, *args: Any, **options: Any) -> None:
        marketplace = options["marketplace"]
        if marketplace not in CREDENTIAL_FIELDS:
            raise self.fail(
                f"Unknown marketplace {marketplace!r}; expected one of: {', '.join(CREDENTIAL_FIELDS)}."
            )
        raw = sys.stdin.read()
        if not raw.strip():
            raise self.fail("No credentials on standard input: pipe a JSON object into the command.")
        try:
            credentials = json.loads(raw)
        except json.JSONDecodeError as error:
            raise self.fail(f"Credentials are not valid JSON: {error.msg} (line {error.lineno}).") from None
        user_model = get_user_model()
        members = list(user_model.objects.filter(username__in=options["member"]))
        unknown = sorted(set(options["member"]) - {member.get_username() for member in members})
        if unknown:
            raise self.fail(f"Unknown user(s): {', '.join(unknown)}.")
        try:
            account = services.account_create(
                marketplace=marketplace,
                name=options["name"],
                credentials=credentials,
                members=members,
                check=not options["no_check"],
            )
        except ValidationError as error:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
            raise self.fail(f"Invalid credentials: {details}") from None
        except MarketplaceError as error:
            raise self.fail(f"The marketplace refused the credentials: {error.message}") from None
        self.stdout.write(str(account.pk))
        route = PUSH_ROUTES.get(marketplace)
        if route:
            with contextlib.suppress(NoReverseMatch):
                self.stdout.write(reverse(route, kwargs={"secret": account.webhook_secret}))
        notes = account.sync_state.capability_notes
        if notes:
            self.stderr.write(notes)
