from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from privacy.services import personal_data_purge


class Command(BaseCommand):
    help = "Remove buyers' names, message texts and files of chats closed longer than the retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", type=int, dest="days", help="days (default PERSONAL_DATA_RETENTION_DAYS)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be removed, change nothing"
        )

    def handle(self, *args: object, **options: object) -> None:
        days = options["days"] if options["days"] is not None else settings.PERSONAL_DATA_RETENTION_DAYS
        if not days or int(days) < 1:
            raise CommandError(
                _(
                    "Retention is off: set PERSONAL_DATA_RETENTION_DAYS or pass --older-than DAYS "
                    "(at least 1)."
                )
            )

        def progress(done: int, total: int) -> None:
            self.stdout.write(_("%(done)s of %(total)s chats") % {"done": done, "total": total})

        summary = personal_data_purge(
            older_than_days=int(days), dry_run=bool(options["dry_run"]), progress=progress
        )
        values = {"chats": summary.chats, "messages": summary.messages, "files": summary.files, "days": days}
        if options["dry_run"]:
            self.stdout.write(
                _(
                    "Dry run: %(chats)s chats closed over %(days)s days ago hold %(messages)s messages "
                    "with text or files and %(files)s stored files. Nothing was changed."
                )
                % values
            )
            return
        if summary.chats:
            audit_record(
                actor=None,
                action=AuditEvent.Action.PERSONAL_DATA_PURGED,
                actor_name="purge_personal_data",
                details={
                    "chats": summary.chats,
                    "messages": summary.messages,
                    "files": summary.files,
                    "days": days,
                },
            )
        self.stdout.write(
            _("Removed personal data of %(chats)s chats: %(messages)s messages, %(files)s files.") % values
        )
