"""Many agents on one small server. An agency: teams of agents, each team on its own cabinet. Each agent
opens the inbox, polls the list and its open chat at the intervals the page itself asks for (read from
its hx-trigger attributes; the open chat is also polled when the list answers that something changed, as
the page's event does), opens another chat every 30 s and replies every 2 minutes, against gunicorn on
the benchmark database, while buyers keep writing. Prints p95 per kind of request, the error count, and
the time from a buyer message stored in the database to its text on the screen of each agent of that
cabinet.

The simulated agents run as threads in this process, on the same two cores as the server: the figures
are pessimistic for the server, and say so.
"""

import html
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from http.cookiejar import CookieJar
from pathlib import Path

from django.db import connection

from bench.agents_world import PASSWORD, Buyers, Seat, agency_generate
from bench.datagen import server_wait
from bench.inbox_perf import login_opener
from bench.measure import percentile
from inbox.models import Chat

ROOT = Path(__file__).resolve().parent.parent
OPEN_CHAT_SECONDS = 30.0
REPLY_SECONDS = 120.0
POLL_TARGET_MS = 200.0
PAGE_TARGET_MS = 300.0
SEEN_TARGET_SECONDS = 3.0
TEAM_SIZE = 10
HTMX = {"HX-Request": "true"}
LIST_POLL = re.compile(r'id="chat-list-region"[^>]*?hx-get="([^"]+)"', re.S)
CHAT_POLL = re.compile(r'id="chat-live"[^>]*?hx-get="([^"]+)"', re.S)
LIST_EVERY = re.compile(r'id="chat-list-region"[^>]*?hx-trigger="every ([0-9.]+)(ms|s)', re.S)
CHAT_EVERY = re.compile(r'id="chat-live"[^>]*?hx-trigger="every ([0-9.]+)(ms|s)', re.S)
LIST_CHANGED = "inbox-list-changed"


def _seconds(found: re.Match) -> float:
    number, unit = found.groups()
    return float(number) / 1000 if unit == "ms" else float(number)


class Agent:
    def __init__(self, *, base: str, seat: Seat, buyers: Buyers, seed: int, record) -> None:
        self.base = base
        self.seat = seat
        self.buyers = buyers
        self.random = random.Random(seed)
        self.record = record
        self.opener = login_opener(base, seat.username, PASSWORD)
        self.list_poll = "/inbox/"
        self.chat_poll = ""
        self.chat_id = 0
        self.list_every = 5.0
        self.chat_every = 3.0
        self.read_upto = 0
        self.unseen: dict[str, float] = {}
        self.events = ""

    def _look(self, body: str) -> None:
        """Every buyer message of this agent's cabinet stored since it opened the inbox must reach its screen."""
        fresh, self.read_upto = self.buyers.since(account_id=self.seat.account_id, index=self.read_upto)
        for item in fresh:
            self.unseen[item.mark] = item.stored_at
        now = time.monotonic()
        for mark in [mark for mark in self.unseen if mark in body]:
            self.record("seen", (now - self.unseen.pop(mark)) * 1000, 200)

    def _get(self, kind: str, path: str, headers: dict[str, str] | None = None) -> str:
        request = urllib.request.Request(f"{self.base}{path}", headers=headers or {})
        started = time.perf_counter()
        status, body = 0, ""
        self.events = ""
        try:
            with self.opener.open(request, timeout=30) as response:
                status, body = response.status, response.read().decode("utf-8", "replace")
                self.events = response.headers.get("HX-Trigger", "")
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        self.record(kind, (time.perf_counter() - started) * 1000, status)
        if body:
            self._look(body)
        return body

    def open_inbox(self) -> None:
        _fresh, self.read_upto = self.buyers.since(account_id=self.seat.account_id, index=0)
        body = self._get("page load", "/inbox/")
        found = LIST_POLL.search(body)
        if found:
            self.list_poll = html.unescape(found.group(1))
        every = LIST_EVERY.search(body)
        if every:
            self.list_every = _seconds(every)

    def open_chat(self) -> None:
        self.chat_id = self.random.choice(self.seat.chat_ids)
        body = self._get("open chat", f"/inbox/chats/{self.chat_id}/", {**HTMX, "HX-Target": "chat-pane"})
        found = CHAT_POLL.search(body)
        self.chat_poll = html.unescape(found.group(1)) if found else ""
        every = CHAT_EVERY.search(body)
        if every:
            self.chat_every = _seconds(every)

    def poll(self) -> None:
        # As htmx does: a changed list comes back with the next poll's URL (and its new signature).
        body = self._get("poll list", self.list_poll, {**HTMX, "HX-Target": "chat-list-region"})
        found = LIST_POLL.search(body)
        if found:
            self.list_poll = html.unescape(found.group(1))
        # As the page does: the open chat's poll also listens for the list's "something changed" event.
        if LIST_CHANGED in self.events:
            self.poll_chat()

    def poll_chat(self) -> None:
        if self.chat_poll:
            body = self._get("poll chat", self.chat_poll, {**HTMX, "HX-Target": "chat-live"})
            found = CHAT_POLL.search(body)
            if found:
                self.chat_poll = html.unescape(found.group(1))

    def reply(self) -> None:
        jar: CookieJar = next(
            handler.cookiejar for handler in self.opener.handlers if hasattr(handler, "cookiejar")
        )
        token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
        body = urllib.parse.urlencode(
            {
                "text": "Здравствуйте! Заказ уже в пути, статус доставки виден в карточке заказа.",
                "idempotency_key": str(uuid.uuid4()),
                "csrfmiddlewaretoken": token,
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.base}/inbox/chats/{self.chat_id}/reply/",
            data=body,
            headers={**HTMX, "Referer": f"{self.base}/inbox/", "X-CSRFToken": token},
        )
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=30) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        self.record("reply", (time.perf_counter() - started) * 1000, status)

    def live(self, deadline: float) -> None:
        # A shift starts over half a minute, not in the same second.
        time.sleep(self.random.uniform(0, OPEN_CHAT_SECONDS))
        self.open_inbox()
        self.open_chat()
        now = time.monotonic()
        every = {
            "poll": self.list_every,
            "poll_chat": self.chat_every,
            "open_chat": OPEN_CHAT_SECONDS,
            "reply": REPLY_SECONDS,
        }
        due = {action: now + interval for action, interval in every.items()}
        due["reply"] = now + self.random.uniform(10, REPLY_SECONDS)
        while True:
            action = min(due, key=due.get)
            if due[action] > deadline:
                return
            wait = due[action] - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            getattr(self, action)()
            due[action] += every[action]


def _server(port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "chatcenter.wsgi", "-k", "gthread", "-w", "3"),
            *("--threads", "4", "-b", f"127.0.0.1:{port}", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
    )


def run(*, agents: int, seconds: float, chats: int, buyer_interval: float = 1.0, port: int = 8799) -> bool:
    seats = agency_generate(agents=agents, chats=chats, team_size=TEAM_SIZE)
    chat_accounts = dict(
        Chat.objects.filter(account_id__in={seat.account_id for seat in seats}).values_list(
            "pk", "account_id"
        )
    )
    connection.close()
    buyers = Buyers(chats=chat_accounts, interval=buyer_interval)
    server = _server(port)
    samples: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    lock = threading.Lock()

    def record(kind: str, milliseconds: float, status: int) -> None:
        with lock:
            samples[kind].append(milliseconds)
            statuses[kind][status] += 1

    base = f"http://127.0.0.1:{port}"
    people: list[Agent] = []
    try:
        server_wait(base=base, attempts=150)
        people = [
            Agent(base=base, seat=seat, buyers=buyers, seed=index, record=record)
            for index, seat in enumerate(seats)
        ]
        writer = threading.Thread(target=buyers.run, daemon=True)
        writer.start()
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=agent.live, args=(deadline,), daemon=True) for agent in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)
        buyers.stop.set()
        writer.join(timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=20)
    teams = len({seat.account_id for seat in seats})
    print(
        f"  {agents} simulated agents in {teams} teams of {TEAM_SIZE} (one cabinet each) for {seconds:.0f} s"
        f" on gunicorn (3 workers x 4 threads), {len(chat_accounts)} chats, a buyer message every"
        f" {buyer_interval:g} s; the page polls the list every {people[0].list_every if people else 0:g} s"
        f" and the open chat every {people[0].chat_every if people else 0:g} s:"
    )
    return _report(samples=samples, statuses=statuses, people=people, written=len(buyers.written))


def _report(*, samples: dict, statuses: dict, people: list[Agent], written: int) -> bool:
    met = True
    for kind in ("page load", "open chat", "poll list", "poll chat", "reply"):
        values = samples.get(kind, [])
        if not values:
            continue
        target = POLL_TARGET_MS if kind.startswith("poll") else PAGE_TARGET_MS
        p95 = percentile(values, 0.95)
        errors = sum(count for status, count in statuses[kind].items() if status == 0 or status >= 500)
        met = met and p95 < target and errors == 0
        print(
            f"    {kind:10} n={len(values):5}  median {percentile(values, 0.5):6.0f} ms  p95 {p95:6.0f} ms"
            f"  (target < {target:.0f} ms: {'met' if p95 < target else 'NOT met'})  errors {errors}"
            f"  statuses {dict(statuses[kind])}"
        )
    seen = samples.get("seen", [])
    # A message still unseen at the end counts only if it was stored long enough before the end to be due.
    overdue = sum(1 for agent in people for stored in agent.unseen.values() if time.monotonic() - stored > 10)
    if seen:
        p95 = percentile(seen, 0.95) / 1000
        met = met and p95 <= SEEN_TARGET_SECONDS and overdue == 0
        print(
            f"    buyer message in the database -> on the agent's screen: {written} messages, {len(seen)} sightings,"
            f" median {percentile(seen, 0.5) / 1000:.2f} s, p95 {p95:.2f} s"
            f" (target <= {SEEN_TARGET_SECONDS:g} s: {'met' if p95 <= SEEN_TARGET_SECONDS else 'NOT met'});"
            f" never seen after 10 s: {overdue}"
        )
    else:
        met = False
        print("    no buyer message was seen by any agent: NOT met")
    return met
