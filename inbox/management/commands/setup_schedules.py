from typing import Any

from django.core.management.base import BaseCommand

from inbox.services.schedules import schedules_setup


class Command(BaseCommand):
    help = "Create or update the periodic jobs (sync dispatcher, outbox sweep). Safe to run repeatedly."

    def handle(self, *args: Any, **options: Any) -> None:
        for name in schedules_setup():
            self.stdout.write(f"schedule {name}: ok")
