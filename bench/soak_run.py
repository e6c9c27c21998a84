"""The soak benchmark's run inside Django (bench/soak.py starts the services first): accounts, the
initial import, the loaded window with its kills and restarts, the drain and the verdict."""

import os
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import MarketplaceAccount, SyncRun, SyncState
from bench import soak_check
from bench.soak import (
    BASE_FAULTS,
    DRAIN_LIMIT_SECONDS,
    HUNT_FAULTS,
    HUNT_SECONDS,
    IMPORT_LIMIT_SECONDS,
    QCLUSTERS,
    RELAXED_LIMITS,
    SERVICE_DOWN_SECONDS,
    STORM_FAULTS,
    STORM_SECONDS,
    WEB_PORT,
    Events,
    Plan,
    ReplyDriver,
    in_flight_owner,
    signal_kill,
)
from bench.soak_services import PostgresCluster, Processes, RedisServer, http_json, process_name
from bench.soak_support import database, is_send, web_wait
from inbox.models import Chat, Message
from marketplaces.types import ChatKind
from sandbox.base import LimitSettings


class Soak:
    def __init__(
        self,
        *,
        plan: Plan,
        postgres: PostgresCluster,
        redis: RedisServer,
        processes: Processes,
        control: str,
    ) -> None:
        self.plan = plan
        self.postgres = postgres
        self.redis = redis
        self.processes = processes
        self.control = control
        self.events = Events()
        self.accounts: list[MarketplaceAccount] = []
        self.names: dict[str, int] = {}
        self.external_ids: dict[int, str] = {}
        self.clusters: list[Any] = []
        self.excluded = 0

    # Set-up ------------------------------------------------------------------------------------

    def accounts_create(self) -> str:
        user = get_user_model().objects.create_user(username="soak-driver", password="soak-driver-password")
        cabinets = http_json(f"{self.control}/cabinets")["cabinets"]
        taken: dict[str, int] = {}
        for cabinet in cabinets:
            marketplace = cabinet["marketplace"]
            if taken.get(marketplace, 0) >= self.plan.cabinets_per_marketplace:
                continue  # the sandbox's extra cabinets exist for capability errors
            taken[marketplace] = taken.get(marketplace, 0) + 1
            account = MarketplaceAccount.objects.create(
                marketplace=marketplace,
                name=f"{cabinet['name']} #{taken[marketplace]}",
                credentials=dict(cabinet["credentials"]),
            )
            SyncState.objects.get_or_create(account=account)
            account.members.add(user)
            self.accounts.append(account)
            self.names[soak_check.cabinet_key(cabinet)] = account.pk
            self.external_ids[account.pk] = cabinet["external_id"]
        return Token.objects.create(user=user).key

    def processes_start(self) -> None:
        self.processes.start(
            "gunicorn",
            [
                "-m",
                "gunicorn",
                "chatcenter.wsgi",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{WEB_PORT}",
                "--log-level",
                "warning",
            ],
        )
        self.clusters = [
            self.processes.start(f"qcluster-{index}", ["manage.py", "qcluster"]) for index in range(QCLUSTERS)
        ]
        self.processes.start("dispatcher", ["manage.py", "dispatcher"])

    def processes_watch(self) -> None:
        """A product process that exited is noted and started again (a supervisor's job)."""
        for name, process in list(self.processes.running.items()):
            if process.poll() is None:
                continue
            self.events.note(f"{name} exited with {process.returncode}: started again")
            arguments = process.args[1:]
            replacement = self.processes.start(name, list(arguments))
            if process in self.clusters:
                self.clusters[self.clusters.index(process)] = replacement

    def pushes_configure(self) -> None:
        """Ozon and Yandex Market cabinets push to gunicorn; polling stays on as the safety net."""
        routes = {"ozon": "inbox:webhook-ozon", "yandex_market": "inbox:webhook-yandex-market"}
        for account in self.accounts:
            route = routes.get(account.marketplace)
            if route is None:
                continue
            path = reverse(route, kwargs={"secret": account.webhook_secret})
            http_json(
                f"{self.control}/push",
                {
                    "marketplace": account.marketplace,
                    "cabinet": self.external_ids[account.pk],
                    "url": f"http://127.0.0.1:{WEB_PORT}{path}",
                },
            )

    def reply_candidates(self) -> list[int]:
        """Chats an agent answers: a buyer wrote lately (older ones are mostly past the marketplaces'
        reply windows, which the API refuses before anything is queued)."""
        recent = timezone.now() - timedelta(hours=24)
        # Chats only: a WB question holds one answer, which a second reply replaces (its row goes).
        chats = Chat.objects.filter(account__in=self.accounts, kind=ChatKind.CHAT)
        fresh = database(lambda: list(chats.filter(last_message_at__gte=recent).values_list("pk", flat=True)))
        return fresh if len(fresh) >= 20 else database(lambda: list(chats.values_list("pk", flat=True)))

    def sandbox_total(self) -> int:
        """Messages the sandbox holds in our cabinets' buyer chats (its cheap summary, less the
        seller-support messages counted once by `excluded_count`)."""
        cabinets = http_json(f"{self.control}/cabinets")["cabinets"]
        total = sum(
            cabinet["messages"] for cabinet in cabinets if soak_check.cabinet_key(cabinet) in self.names
        )
        return total - self.excluded

    def excluded_count(self) -> int:
        state = http_json(f"{self.control}/state", timeout=300)
        return sum(
            len(chat["messages"])
            for cabinet in state["cabinets"]
            if soak_check.cabinet_key(cabinet) in self.names
            for chat in cabinet["chats"]
            if not soak_check.is_buyer_chat(chat)
        )

    def database_total(self) -> int:
        return database(
            # Chats only, as the sandbox's summary counts them (WB questions are compared at the end).
            lambda: Message.objects.filter(
                chat__account_id__in=list(self.names.values()),
                chat__kind=ChatKind.CHAT,
                external_id__isnull=False,
            ).count()
        )

    def initial_import(self) -> None:
        http_json(f"{self.control}/limits", RELAXED_LIMITS)
        self.excluded = self.excluded_count()
        started = time.monotonic()
        expected = self.sandbox_total()
        print(
            f"  initial import: {len(self.accounts)} cabinets, {expected} messages in buyer chats at the sandbox "
            f"({self.excluded} in Ozon seller-support chats, not imported by design; sandbox rate limits "
            f"relaxed for the import only)",
            flush=True,
        )
        stored = 0
        while time.monotonic() - started < IMPORT_LIMIT_SECONDS:
            self.processes_watch()
            stored = self.database_total()
            if stored >= expected:
                break
            time.sleep(5)
        seconds = time.monotonic() - started
        print(
            f"  imported {stored} of {expected} messages in {seconds:.0f} s ({stored / seconds:.0f} messages/s)",
            flush=True,
        )
        http_json(f"{self.control}/limits", asdict(LimitSettings()))
        http_json(f"{self.control}/limits/reset", {})

    # The loaded window -------------------------------------------------------------------------

    def hunt(self, *, label: str, wanted: Callable[[dict[str, Any]], bool]) -> bool:
        """Kill -9 the worker process that is in the middle of a matching marketplace request."""
        http_json(f"{self.control}/faults", {"marketplace": "all", **HUNT_FAULTS})
        deadline = time.monotonic() + HUNT_SECONDS
        try:
            while time.monotonic() < deadline:
                found = in_flight_owner(control=self.control, processes=self.clusters, wanted=wanted)
                if found is not None:
                    request, pid = found
                    name = process_name(pid)[:60]
                    signal_kill(pid)
                    self.events.note(
                        f"kill -9 worker {pid} ({name}) {label}: {request['method']} {request['path']}"
                    )
                    return True
                time.sleep(0.05)
        finally:
            http_json(
                f"{self.control}/faults", {"marketplace": "all", "latency_ms": BASE_FAULTS["latency_ms"]}
            )
        self.events.note(f"no worker found {label} within {HUNT_SECONDS} s")
        return False

    def loaded_window(self, driver: ReplyDriver) -> datetime:
        seconds = self.plan.seconds
        schedule: list[tuple[float, str, Callable[[], None]]] = [
            (
                0.15,
                "kill a worker in the middle of a sync",
                lambda: self.hunt(label="in the middle of a sync", wanted=lambda r: not is_send(r)),
            ),
            (
                0.25,
                "kill a worker in the middle of a send",
                lambda: self.hunt(label="in the middle of a send", wanted=is_send),
            ),
            (0.40, "rate-limit storm", self.storm),
            (0.55, "restart Redis", lambda: self.redis.restart(down_seconds=SERVICE_DOWN_SECONDS)),
            (0.70, "restart PostgreSQL", lambda: self.postgres.restart(down_seconds=SERVICE_DOWN_SECONDS)),
        ]
        http_json(f"{self.control}/faults", {"marketplace": "all", **BASE_FAULTS})
        http_json(f"{self.control}/buyers", {"interval_seconds": self.plan.buyers_interval})
        started_at = timezone.now()
        started = time.monotonic()
        self.events.note(
            f"loaded window starts: {seconds} s, buyers every {self.plan.buyers_interval} s, a reply every "
            f"{self.plan.reply_interval} s, faults {BASE_FAULTS}"
        )
        driver.start()
        refreshed = time.monotonic()
        while time.monotonic() - started < seconds:
            elapsed = (time.monotonic() - started) / seconds
            while schedule and elapsed >= schedule[0][0]:
                _share, label, action = schedule.pop(0)
                self.events.note(f"{label}: start")
                action()
                if label.startswith("restart"):
                    self.events.note(f"{label}: done ({SERVICE_DOWN_SECONDS} s down)")
            self.processes_watch()
            if time.monotonic() - refreshed > 10:
                driver.chat_ids = self.reply_candidates() or driver.chat_ids
                refreshed = time.monotonic()
            time.sleep(0.5)
        driver.stopping.set()
        driver.join(timeout=120)
        http_json(f"{self.control}/buyers", {"interval_seconds": 0})
        http_json(f"{self.control}/faults", method="DELETE")
        self.events.note(
            f"loaded window over: buyers, faults and the reply driver stopped ({len(driver.sent)} replies)"
        )
        return started_at

    def storm(self) -> None:
        http_json(f"{self.control}/faults", {"marketplace": "all", **STORM_FAULTS})
        time.sleep(STORM_SECONDS)
        http_json(
            f"{self.control}/faults",
            {"marketplace": "all", "rate_limit_share": BASE_FAULTS["rate_limit_share"]},
        )
        self.events.note(
            f"rate-limit storm over ({STORM_SECONDS} s at {STORM_FAULTS['rate_limit_share']:.0%})"
        )

    def drain(self, driver: ReplyDriver, *, window_end: datetime) -> bool:
        """Until every reply is settled, every account has had a clean pass that started after the
        loaded window (the killed sync's account only after its lease expired) and the database holds
        as many of the sandbox's messages as the sandbox."""
        started = time.monotonic()
        self.excluded = self.excluded_count()
        keys = [item["key"] for item in driver.sent]
        account_ids = [account.pk for account in self.accounts]
        while time.monotonic() - started < DRAIN_LIMIT_SECONDS:
            self.processes_watch()
            unsettled = database(
                lambda: Message.objects.filter(
                    idempotency_key__in=keys, delivery_status__in=soak_check.UNSETTLED
                ).count()
            )
            synced = database(
                lambda: (
                    SyncRun.objects.filter(
                        account_id__in=account_ids,
                        kind=SyncRun.Kind.SYNC,
                        outcome=SyncRun.Outcome.SUCCESS,
                        started_at__gt=window_end,
                    )
                    .values("account_id")
                    .distinct()
                    .count()
                )
            )
            expected, stored = self.sandbox_total(), self.database_total()
            if not unsettled and synced == len(account_ids) and stored >= expected:
                self.events.note(f"drained after {time.monotonic() - started:.0f} s")
                return True
            time.sleep(5)
        self.events.note(
            f"NOT drained within {DRAIN_LIMIT_SECONDS} s: {unsettled} replies unsettled, "
            f"{len(account_ids) - synced} accounts without a clean pass, {stored} of {expected} messages"
        )
        return False

    def stop_product(self) -> None:
        """The dispatcher first (no new reservations); the workers finish the passes queued or running
        (their leases go free), then everything stops."""
        dispatcher = self.processes.running.pop("dispatcher")
        dispatcher.terminate()
        dispatcher.wait(timeout=30)
        account_ids = [account.pk for account in self.accounts]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if not database(
                lambda: SyncState.objects.filter(pk__in=account_ids, lease_until__gt=timezone.now()).exists()
            ):
                break
            time.sleep(1)
        self.processes.stop_all()
        self.processes.running.clear()

    # The whole run -----------------------------------------------------------------------------

    def run(self) -> int:
        plan = self.plan
        print(
            f"  own PostgreSQL :{self.postgres.port}, own Redis :{self.redis.port}; sandbox "
            f"{plan.cabinets_per_marketplace} cabinets x 3 marketplaces x {plan.chats} chats; "
            f"{QCLUSTERS} qclusters x {os.environ.get('Q_WORKERS')} workers + dispatcher + gunicorn (2 workers)",
            flush=True,
        )
        token = self.accounts_create()
        self.processes_start()
        web_wait(f"http://127.0.0.1:{WEB_PORT}/hooks/")
        self.pushes_configure()
        self.initial_import()
        driver = ReplyDriver(
            base_url=f"http://127.0.0.1:{WEB_PORT}",
            token=token,
            chat_ids=self.reply_candidates(),
            interval=plan.reply_interval,
        )
        started_at = self.loaded_window(driver)
        finished_at = timezone.now()
        since_ms = int(started_at.timestamp() * 1000)
        drained = self.drain(driver, window_end=finished_at)
        self.stop_product()
        close_old_connections()
        verdict = soak_check.Verdict()
        state = http_json(f"{self.control}/state", timeout=300)
        truth = soak_check.sandbox_messages(state, self.names)
        replies = http_json(f"{self.control}/replies", timeout=120)["replies"]
        account_ids = [account.pk for account in self.accounts]
        soak_check.messages_verdict(verdict=verdict, truth=truth, account_ids=account_ids)
        soak_check.replies_verdict(verdict=verdict, driver=driver.sent, replies=replies)
        soak_check.leases_verdict(verdict=verdict, account_ids=account_ids)
        verdict.check("drained within the bound", 0 if drained else 1)
        print("\n  Figures (loaded window):")
        for line in soak_check.throughput_figures(
            accounts=self.accounts, started=started_at, finished=finished_at
        ):
            print(line)
        for line in soak_check.lag_figures(truth=truth, accounts=self.accounts, since_ms=since_ms):
            print(line)
        print("\n  Exactly once (against the sandbox's truth):")
        for line in verdict.lines:
            print(line)
        print(
            f"\n  soak: {'met' if not verdict.violations else 'NOT met'} ({verdict.violations} checks failed)"
        )
        return 0 if not verdict.violations else 1
