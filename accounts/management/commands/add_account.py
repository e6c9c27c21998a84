import json
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts import services
from accounts.credential_checks import credentials_refused
from accounts.forms import CREDENTIAL_LABELS
from accounts.selectors import account_push_url
from marketplaces.errors import MarketplaceError
from marketplaces.registry import MARKETPLACE_SPECS, spec_for


class Command(BaseCommand):
    help = (
        "Connect a marketplace cabinet. Credentials JSON is read from standard input, never from arguments: "
        'Wildberries {"token"}, Ozon {"client_id","api_key"}, Yandex Market {"api_key","business_id"}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--marketplace", required=True, help=", ".join(MARKETPLACE_SPECS))
        parser.add_argument("--name", required=True)
        parser.add_argument("--member", action="append", default=[], metavar="USERNAME")
        parser.add_argument(
            "--no-check", action="store_true", help="Do not verify credentials with the marketplace"
        )

    def fail(self, message: str) -> CommandError:
        return CommandError(message, returncode=2)

    def handle(self, *args: Any, **options: Any) -> None:
        marketplace = options["marketplace"]
        if marketplace not in MARKETPLACE_SPECS:
            raise self.fail(
                _("Unknown marketplace “%(name)s”. Expected one of: %(choices)s.")
                % {"name": marketplace, "choices": ", ".join(MARKETPLACE_SPECS)}
            )
        raw = sys.stdin.read()
        if not raw.strip():
            raise self.fail(_("No credentials on standard input: pipe a JSON object into the command."))
        try:
            credentials = json.loads(raw)
        except json.JSONDecodeError as error:
            raise self.fail(
                _("The credentials are not valid JSON: %(error)s (line %(line)d).")
                % {"error": error.msg, "line": error.lineno}
            ) from None
        user_model = get_user_model()
        members = list(user_model.objects.filter(username__in=options["member"]))
        unknown = sorted(set(options["member"]) - {member.get_username() for member in members})
        if unknown:
            raise self.fail(_("Unknown users: %(names)s.") % {"names": ", ".join(unknown)})
        try:
            account = services.account_create(
                actor_name="add_account",
                marketplace=marketplace,
                name=options["name"],
                credentials=credentials,
                members=members,
                check=not options["no_check"],
            )
        except ValidationError as error:
            raise self.fail(invalid_credentials_text(error=error)) from None
        except MarketplaceError as error:
            if credentials_refused(error=error):
                raise self.fail(
                    _("The marketplace refused the credentials: %(reason)s") % {"reason": error.message}
                ) from None
            raise self.fail(
                _(
                    "Could not reach the marketplace to check the credentials: %(reason)s. Check the network "
                    "and the marketplace API URL, or add the account with --no-check and let the first sync "
                    "check them."
                )
                % {"reason": error.message}
            ) from None
        # Standard output is the new id alone (DESIGN.md §9), so a script can take it as it is
        # (`ID=$(manage.py add_account …)`); what a person reads goes to standard error.
        self.stdout.write(str(account.pk))
        lines = [
            _("Account connected."),
            _("ID: %(id)s") % {"id": account.pk},
            _("Name: %(name)s") % {"name": account.name},
            _("Marketplace: %(marketplace)s") % {"marketplace": spec_for(marketplace).label},
        ]
        push_url = account_push_url(account=account)
        if push_url:
            lines.append(_("Push URL: %(url)s") % {"url": push_url})
        # Plain: standard error is coloured as an error by default, and this is a success.
        self.stderr.write("\n".join(lines), style_func=str)
        notes = account.sync_state.capability_notes
        if notes:
            self.stderr.write(notes)


def invalid_credentials_text(*, error: ValidationError) -> str:
    """One labelled line per field: "Api-Key (api_key): This field is required."."""
    lines = [_("The credentials are invalid:")]
    for key, messages in error.message_dict.items():
        label = CREDENTIAL_LABELS.get(key)
        mentioned = label and key.replace("_", "").lower() in str(label).replace("_", "").lower()
        field = f"{label} ({key})" if label and not mentioned else str(label or key)
        lines.append(f"  {field}: {' '.join(messages)}")
    return "\n".join(lines)
