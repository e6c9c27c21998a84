"""`manage.py run_sandbox`: serve the fake marketplace APIs until Ctrl-C (test equipment only)."""

import json
import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox import SandboxServer, WorldOptions
from sandbox.generator import SCENARIOS
from sandbox.world import MARKETPLACES

FAULT_FLAGS = (
    "latency_ms",
    "error_share",
    "timeout_share",
    "timeout_seconds",
    "rate_limit_share",
    "truncate_share",
    "duplicate_share",
)


class Command(BaseCommand):
    help = (
        "Serve fake Wildberries, Ozon and Yandex Market chat APIs. Prints NAME=URL lines for the product's "
        "environment, then one CABINET line per seeded cabinet, then READY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scenario", choices=SCENARIOS, default="demo")
        parser.add_argument("--cabinets", type=int, default=2, help="ordinary cabinets per marketplace")
        parser.add_argument("--chats", type=int, default=12, help="chats per cabinet")
        parser.add_argument("--messages-per-chat", type=int, default=0, help="0 = a natural 1–7")
        parser.add_argument("--questions", type=int, default=8, help="WB questions per cabinet")
        parser.add_argument("--events-page-size", type=int, default=50)
        parser.add_argument(
            "--buyers-interval",
            type=float,
            default=0.0,
            help="seconds between simulated buyer messages on average; 0 = off",
        )
        parser.add_argument("--push-url-ozon", help="push URL of the first Ozon cabinet")
        parser.add_argument(
            "--push-url-yandex-market", help="notification URL of the first Yandex Market cabinet"
        )
        parser.add_argument(
            "--fault-marketplace",
            choices=(*MARKETPLACES, "all"),
            default="all",
            help="which marketplace the fault flags apply to",
        )
        for flag in FAULT_FLAGS:
            parser.add_argument(f"--{flag.replace('_', '-')}", type=float, default=None)
        parser.add_argument("--log-requests", action="store_true", help="log request lines (never bodies)")
        parser.add_argument(
            "--force", action="store_true", help="start even when settings.SANDBOX_ALLOWED is off"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "SANDBOX_ALLOWED", False) and not options["force"]:
            raise CommandError(
                "The sandbox is test equipment and SANDBOX_ALLOWED is off (DJANGO_DEBUG is not set). "
                "Use --force if you really mean it."
            )
        # Before anything starts: a stop request during start-up must not end in a traceback either.
        stopped = stop_signals_install()
        logging.basicConfig(level=logging.INFO, format="sandbox %(levelname)s %(message)s")
        world_options = WorldOptions(
            seed=options["seed"],
            scenario=options["scenario"],
            cabinets_per_marketplace=options["cabinets"],
            chats=options["chats"],
            messages_per_chat=options["messages_per_chat"],
            questions=options["questions"],
        )
        sandbox = SandboxServer(
            host=options["host"],
            port=options["port"],
            options=world_options,
            buyers_interval=options["buyers_interval"],
            events_page_size=options["events_page_size"],
            log_requests=options["log_requests"],
        )
        faults = {flag: options[flag] for flag in FAULT_FLAGS if options[flag] is not None}
        if faults:
            targets = (
                MARKETPLACES if options["fault_marketplace"] == "all" else (options["fault_marketplace"],)
            )
            for marketplace in targets:
                sandbox.faults.configure(marketplace, faults)
        sandbox.start()
        for marketplace, url in (
            ("ozon", options["push_url_ozon"]),
            ("yandex_market", options["push_url_yandex_market"]),
        ):
            if url:
                sandbox.pushes.configure(sandbox.world.cabinets_of(marketplace)[0], url)
        for variable, url in sandbox.urls.items():
            self.stdout.write(f"{variable}={url}")
        self.stdout.write(f"SANDBOX_CONTROL_URL={sandbox.control_url}")
        for line in sandbox.cabinet_lines():
            self.stdout.write(line)
        self.stdout.write("READY")
        self.stdout.flush()
        try:
            while not stopped.wait(0.5):
                pass
        finally:
            sandbox.stop()
        if options["verbosity"] > 0:
            self.stderr.write(
                json.dumps({"stopped": True, "replies": sum(len(c.replies) for c in sandbox.world.cabinets)})
            )


def stop_signals_install() -> threading.Event:
    """An event set by SIGTERM (how supervisors and the demo stop us) or Ctrl-C: no traceback.

    An inherited "ignore SIGINT" (background jobs of a shell) is respected; SIGTERM always works.
    """
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
    return stopped
