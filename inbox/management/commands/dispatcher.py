import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from inbox.sync import dispatcher_run, sync_states_ensure
from inbox.sync.dispatch import DISPATCH_MAX_SLEEP_SECONDS
from notify.runner import NotifyLoop

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Hand due accounts to the qcluster workers as they fall due (about a second's wait), without "
        "occupying a worker, and run the notification loops (alerts, Telegram polling). Run it next to "
        "`manage.py qcluster`; stops cleanly on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-sleep",
            type=float,
            default=DISPATCH_MAX_SLEEP_SECONDS,
            help="Longest pause between two looks at the accounts, in seconds (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = threading.Event()

        def stop(signum: int, _frame: object) -> None:
            logger.info("dispatcher: signal %s, stopping", signum)
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        sync_states_ensure()
        # The notification tick (every second) and Telegram long polling live here too: both are
        # long-running loops that would otherwise hold a qcluster worker asleep.
        notifications = NotifyLoop().start()
        self.stdout.write("Dispatcher running; syncs run in the qcluster workers.")
        self.stdout.flush()
        try:
            handed = dispatcher_run(
                should_stop=stopping.is_set, sleep=stopping.wait, maximum_sleep=options["max_sleep"]
            )
        finally:
            notifications.stop()
        self.stdout.write(f"Dispatcher stopped after handing over {handed} syncs.")
