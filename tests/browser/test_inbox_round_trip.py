"""The inbox in Chromium against the sandbox marketplaces, with queued tasks really running.

Nothing here writes to the database behind the browser's back: chats come from a real sync, the reply
is delivered by the outbox task to the sandbox, and the buyer's new message reaches the product through
the sandbox's push, a sync run by the worker and the open thread's polling.
"""

import json
import re
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncRun, SyncState
from inbox import sync
from inbox.models import Chat, Message
from inbox.selectors import ChatFilters, chat_filtered_for_user
from sandbox import SandboxServer

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PASSWORD = "agent-password-123"
# Generous for a loaded two-core machine; expect() returns as soon as the page shows the state.
DELIVERY_TIMEOUT = 30_000
LIVE_TIMEOUT = 45_000


def control(sandbox: SandboxServer, method: str, path: str, body: dict | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    # The sandbox's control API on localhost (S310: the URL is ours, http only).
    request = urllib.request.Request(sandbox.control_url + path, data=data, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def visible_count(user: User, **filters: Any) -> int:
    chats = chat_filtered_for_user(user=user, filters=ChatFilters(**filters))
    return chats.filter(last_message_at__isnull=False).count()


@pytest.fixture
def synced_inbox(transactional_db, sandbox, live_server) -> dict[str, Any]:
    """One sandbox cabinet per marketplace, synced once; Ozon pushes to our receiver."""
    agent = User.objects.create_user("agent", password=PASSWORD, first_name="Мария")
    accounts = {}
    for marketplace in ("wildberries", "ozon", "yandex_market"):
        cabinet = sandbox.world.cabinet_find(marketplace=marketplace, reference=0)
        account = MarketplaceAccount.objects.create(
            marketplace=marketplace, name=cabinet.name, credentials=dict(cabinet.credentials)
        )
        account.members.set([agent])
        SyncState.objects.create(account=account)
        outcome = sync.account_sync(account_id=account.pk, force=True)
        assert outcome.outcome == SyncRun.Outcome.SUCCESS, outcome.error
        accounts[marketplace] = account
    ozon = accounts["ozon"]
    control(
        sandbox,
        "POST",
        "/push",
        {"marketplace": "ozon", "url": f"{live_server.url}/hooks/ozon/{ozon.webhook_secret}/"},
    )
    target = (
        Chat.objects.filter(account=ozon, kind=Chat.Kind.CHAT, marketplace_status__iexact="opened")
        .order_by("-last_message_at")
        .first()
    )
    assert target is not None, "the sandbox world has no open Ozon buyer chat"
    return {"agent": agent, "accounts": accounts, "target": target}


def log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/inbox/")


def test_reply_is_delivered_snooze_and_a_new_buyer_message_arrives_live(
    page, live_server, sandbox, synced_inbox, queue_worker, artifacts
):
    agent, target = synced_inbox["agent"], synced_inbox["target"]
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    rows = page.locator(".chat-row")

    log_in(page, live_server)
    expect(rows).to_have_count(visible_count(agent))

    # Marketplace tabs: each shows only its own chats.
    for marketplace in ("wildberries", "yandex_market", "ozon"):
        page.click(f".tab[data-marketplace={marketplace}]")
        expect(page).to_have_url(re.compile(rf"/inbox/\?tab={marketplace}$"))
        expected = visible_count(agent, marketplace=marketplace)
        assert expected > 0
        expect(rows).to_have_count(expected)
        expect(page.locator(f".chat-row .badge.marketplace-{marketplace}")).to_have_count(expected)
    expect(page.locator(".tab.active")).to_have_attribute("data-marketplace", "ozon")

    # Open the chat and reply: the outbox task delivers it to the sandbox, the thread shows it.
    page.click(f"#chat-row-{target.pk}")
    expect(page).to_have_url(re.compile(rf"/inbox/chats/{target.pk}/\?tab=ozon$"))
    expect(page.locator(".chat-header .badge.marketplace-ozon")).to_be_visible()
    last_incoming = Message.objects.filter(chat=target, direction="in").order_by("-created_at").first()
    expect(page.locator(f"#message-{last_incoming.pk}")).to_be_visible()
    reply_text = "Здравствуйте! Проверили заказ: посылка уже в пункте выдачи."
    page.locator("#reply-text").fill(reply_text)
    page.locator("#reply-text").press("Enter")
    reply = page.locator(".message.author-seller", has_text=reply_text)
    expect(reply).to_have_count(1)
    expect(reply.locator(".delivery")).to_have_text("✓ доставлено", timeout=DELIVERY_TIMEOUT)
    page.screenshot(path=str(artifacts / "inbox-delivered.png"))
    sent = Message.objects.get(chat=target, direction="out", text=reply_text)
    assert sent.delivery_status == Message.DeliveryStatus.SENT
    assert f"deliver-{sent.pk}" in queue_worker.finished_names()
    sandbox_chat = next(
        chat
        for cabinet in control(sandbox, "GET", "/state?marketplace=ozon")["cabinets"]
        for chat in cabinet["chats"]
        if chat["external_id"] == target.external_id
    )
    assert [item["text"] for item in sandbox_chat["messages"] if item["via_api"]] == [reply_text]

    # Resolve: the chat leaves the open list and the chat below it (or the empty pane) opens.
    page.click("#resolve-button")
    expect(page.locator(f"#chat-row-{target.pk}")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(rf"/inbox/chats/{target.pk}/"))
    target.refresh_from_db()
    assert target.status == Chat.Status.RESOLVED
    page.goto(f"{live_server.url}/inbox/chats/{target.pk}/?tab=ozon")
    expect(page.locator(".chat-header .status-pill")).to_have_text("Решён")

    # Snooze from the keyboard: s opens the menu on its first preset.
    page.locator("#thread").focus()
    page.keyboard.press("s")
    expect(page.locator("#snooze-menu")).to_have_attribute("open", "")
    expect(page.locator("#snooze-menu button[data-preset=hour]")).to_be_focused()
    page.screenshot(path=str(artifacts / "inbox-snooze.png"))
    page.click("#snooze-menu button[data-preset=tomorrow]")
    expect(page.locator(".chat-header .status-pill")).to_have_text("Отложен до завтра 09:00")
    target.refresh_from_db()
    assert target.status == Chat.Status.SNOOZED
    moscow_until = timezone.localtime(target.snoozed_until)
    assert moscow_until.strftime("%H:%M") == "09:00"
    assert timedelta(0) < target.snoozed_until - timezone.now() <= timedelta(days=1, hours=9)

    # The "Snoozed" status filter lists it with its time.
    page.select_option("select[name=status]", "snoozed")
    expect(page).to_have_url(re.compile(r"status=snoozed"))
    expect(rows).to_have_count(1)
    expect(page.locator(f"#chat-row-{target.pk} .snoozed-mark")).to_have_text("отложен до завтра 09:00")

    # The buyer writes again: push → sync by the worker → the open thread and the list update by
    # themselves (the marker proves the page was never reloaded).
    page.evaluate("window.stillTheSamePage = true")
    buyer_text = "Вы здесь? В пункте выдачи говорят, что посылки нет."
    control(
        sandbox,
        "POST",
        "/buyer-message",
        {"marketplace": "ozon", "chat_id": target.external_id, "text": buyer_text},
    )
    expect(page.locator(".message.author-buyer", has_text=buyer_text)).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(page.locator(".chat-header .status-pill")).to_have_text("Открыт")
    expect(page.locator(f"#chat-row-{target.pk}")).to_have_count(0, timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.stillTheSamePage") is True
    page.screenshot(path=str(artifacts / "inbox-live.png"))
    target.refresh_from_db()
    assert (target.status, target.snoozed_until) == (Chat.Status.OPEN, None)
    # It came by push: the sandbox told our receiver, which answered as Ozon requires.
    pushes = control(sandbox, "GET", "/pushes")["pushes"]
    assert [
        push["ok"]
        for push in pushes
        if push["type"] == "TYPE_NEW_MESSAGE" and push["payload"]["chat_id"] == target.external_id
    ] == [True]

    assert queue_worker.errors == []
    assert page_errors == []
