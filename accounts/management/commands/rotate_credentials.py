from typing import Any

from django.core.management.base import BaseCommand

from accounts.services import account_credentials_rotate


class Command(BaseCommand):
    help = "Re-encrypt every account's credentials with the newest key in FERNET_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        count = account_credentials_rotate()
        self.stdout.write(f"Re-encrypted credentials of {count} account(s) with the newest key.")
