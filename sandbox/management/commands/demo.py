"""`manage.py demo` (`make demo`): the whole product against the sandbox marketplaces, in one terminal.

Migrates, creates the demo user, serves the fake marketplaces in this process, connects one cabinet per
marketplace, runs their first sync, then starts the web server, the background worker (and the
dispatcher when the project has one) and prints where to log in. Ctrl-C stops everything.
"""

import contextlib
import io
import logging
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.test.utils import override_settings

from sandbox.demo.lock import DemoAlreadyRunning, DemoLock, port_in_use
from sandbox.demo.processes import Children, StopRequested, port_wait, stop_signals_install
from sandbox.demo.setup import (
    DEMO_USERNAME,
    DemoCabinet,
    demo_cabinets_connect,
    demo_first_sync,
    demo_password_get,
    demo_pushes_connect,
    demo_telegram_link,
    demo_templates_ensure,
    demo_user_ensure,
)
from sandbox.generator import WorldOptions
from sandbox.llm import API_KEY as LLM_API_KEY
from sandbox.llm import MODEL as LLM_MODEL
from sandbox.server import SandboxServer
from sandbox.telegram import PHONE_CHAT_ID

# A fixed seed keeps the sandbox's credentials identical across restarts, so connected cabinets stay valid.
SANDBOX_SEED = 2026
SANDBOX_BUYERS_INTERVAL = 20
WEB_START_TIMEOUT = 60
# The children log what a person wants to read: no line per request, per marketplace call or per task.
QUIET_LOGGING = {"LOG_HTTP_REQUESTS": "0", "LOG_MARKETPLACE_CALLS": "0", "Q_LOG_LEVEL": "WARNING"}


class Command(BaseCommand):
    help = (
        "Run Chat Center against the sandbox marketplaces (web, worker, fake Wildberries/Ozon/Yandex Market)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port of the web server (127.0.0.1)")
        parser.add_argument(
            "--sandbox-port",
            type=int,
            default=None,
            help="port of the fake marketplaces (default: --port + 1). Attachment URLs stored by one run "
            "point at it, so it stays the same across runs.",
        )
        parser.add_argument(
            "--state-dir",
            default=None,
            help="where the demo keeps its password and lock file (default: var/ in the project)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SANDBOX_ALLOWED:
            raise CommandError("The demo runs test equipment and needs DJANGO_DEBUG=1 (see .env).")
        port = options["port"]
        url = f"http://127.0.0.1:{port}/"
        state_dir = Path(options["state_dir"] or settings.BASE_DIR / "var")
        lock = DemoLock(state_dir / "demo.lock")
        try:
            lock.acquire(url=url)
        except DemoAlreadyRunning as running:
            where = running.details.get("url", "an unknown address")
            raise CommandError(
                f"A demo is already running at {where} (pid {running.details.get('pid', '?')}). "
                "Use it, or stop it with Ctrl-C in its terminal first. Nothing was changed."
            ) from None
        try:
            sandbox_port = options["sandbox_port"] or port + 1
            for wanted in (port, sandbox_port):
                if port_in_use(wanted):
                    raise CommandError(
                        f"Port {wanted} is already in use by another program. Choose other ports: "
                        f"make demo PORT={port + 2}. Nothing was changed."
                    )
            stop_signals_install()
            with contextlib.suppress(StopRequested):
                self.run(port=port, sandbox_port=sandbox_port, url=url, state_dir=state_dir)
            self.stdout.write("Demo stopped.")
        finally:
            lock.release()

    def run(self, *, port: int, sandbox_port: int, url: str, state_dir: Path) -> None:
        # The first sync in this process is for the person at the terminal, not for a log of every call.
        logging.getLogger("marketplaces.http").setLevel(logging.WARNING)
        call_command("migrate", interactive=False, verbosity=0)
        password = demo_password_get(path=state_dir / "demo-password.txt")
        user = demo_user_ensure(password=password)
        options = WorldOptions(seed=SANDBOX_SEED)
        with SandboxServer(
            port=sandbox_port, options=options, buyers_interval=SANDBOX_BUYERS_INTERVAL
        ) as sandbox:
            product_settings = {
                **sandbox.urls,
                "PUBLIC_BASE_URL": url.rstrip("/"),
                # The sandbox's Telegram Bot API and OpenAI-compatible LLM, with their demo credentials.
                "TELEGRAM_BOT_TOKEN": sandbox.telegram.token,
                "LLM_API_KEY": LLM_API_KEY,
                "LLM_MODEL": LLM_MODEL,
                "EMAIL_URL": f"filemail://{state_dir / 'mail'}",
            }
            with override_settings(**product_settings):
                cabinets = demo_cabinets_connect(sandbox=sandbox, user=user)
                notes = []
                for cabinet in cabinets:
                    synced = demo_first_sync(account=cabinet.account)
                    notes.append(f"{cabinet.account.name}: {cabinet.note}; {synced}")
                call_command("setup_schedules", stdout=io.StringIO())
                notes.append(f"Telegram: {demo_telegram_link(sandbox=sandbox, user=user)}")
                demo_templates_ensure(user=user)
                notes.append(f"E-mail alerts are written as files to {state_dir / 'mail'}")
            connections.close_all()
            environment = {
                **os.environ,
                **product_settings,
                **QUIET_LOGGING,
                "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "chatcenter.settings"),
                "PYTHONUNBUFFERED": "1",
            }
            children = Children(root=settings.BASE_DIR, environment=environment)
            try:
                self.serve(
                    children=children,
                    sandbox=sandbox,
                    port=port,
                    url=url,
                    notes=notes,
                    password=password,
                    cabinets=cabinets,
                )
            finally:
                self.stdout.write("Stopping…")
                # Quiet the simulation first: no buyer message or push into a server that is stopping.
                sandbox.buyers.stop()
                sandbox.pushes.stop()
                children.stop()

    def serve(
        self,
        *,
        children: Children,
        sandbox: SandboxServer,
        port: int,
        url: str,
        notes: list[str],
        password: str,
        cabinets: list[DemoCabinet],
    ) -> None:
        children.start("worker", "qcluster")
        if "dispatcher" in get_commands():
            # Its start and stop lines are for operators; the demo says what matters itself.
            children.start("dispatcher", "dispatcher", quiet_stdout=True)
        children.start("web server", "runserver", "--noreload", f"127.0.0.1:{port}", quiet_stdout=True)
        if not port_wait(port, timeout=WEB_START_TIMEOUT):
            raise CommandError(f"The web server did not start on port {port}; see the messages above.")
        accounts = [cabinet.account for cabinet in cabinets]
        notes.extend(demo_pushes_connect(sandbox=sandbox, accounts=accounts, base_url=url))
        connections.close_all()
        self.stdout.write(
            f"\nChat Center is running: {url}\n"
            f"  login: {DEMO_USERNAME}\n  password: {password}\n"
            f"  admin: {url}admin/\n"
            f"  marketplace sandbox: {sandbox.control_url}/state (simulated buyers write every "
            f"~{SANDBOX_BUYERS_INTERVAL} s)\n"
            f"  Telegram on the demo phone: {sandbox.base_url}/telegram/phone/?chat={PHONE_CHAT_ID}\n"
            f"  AI drafts: the sandbox's OpenAI-compatible LLM ({LLM_MODEL})\n"
            + "".join(f"  {note}\n" for note in notes)
            + "Press Ctrl-C to stop.\n"
        )
        self.stdout.flush()
        while (exited := children.exited()) is None:
            time.sleep(0.5)
        raise CommandError(
            f"The {exited.label} stopped unexpectedly (exit code {exited.process.returncode}); demo stopped."
        )
