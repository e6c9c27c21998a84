"""A scripted connector implementing the marketplaces.base.Connector protocol: no HTTP anywhere."""

import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings

from marketplaces.types import (
    AccountInfo,
    Author,
    Capabilities,
    ChatRef,
    Cursor,
    Download,
    PositionLookup,
    RecentMessages,
    RemoteChat,
    RemoteMessage,
    RemoteProduct,
    SendReceipt,
    UpdatesPage,
)

# The lease and delivery-claim tests run real threads. In-memory shared-cache SQLite answers a
# concurrent writer with SQLITE_LOCKED at once instead of waiting (busy_timeout does not apply), which
# is not how the production SQLite file (WAL, IMMEDIATE, timeout) behaves: use a temporary file DB.
# This runs at collection, before pytest-django creates the test database.
_database = settings.DATABASES["default"]
if _database["ENGINE"] == "django.db.backends.sqlite3" and not _database.get("TEST", {}).get("NAME"):
    _database.setdefault("TEST", {})["NAME"] = f"{tempfile.mkdtemp(prefix='chatcenter-sync-')}/test.sqlite3"

BASE_TIME = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return BASE_TIME + timedelta(minutes=minutes)


def remote_message(
    chat: str,
    external_id: str,
    text: str = "",
    *,
    author: Author = Author.BUYER,
    minute: float = 0,
    **extra: Any,
) -> RemoteMessage:
    return RemoteMessage(
        chat_external_id=chat,
        external_id=external_id,
        author=author,
        text=text or f"сообщение {external_id}",
        created_at=extra.pop("created_at", at(minute)),
        **extra,
    )


class FakeConnector:
    """Pages are served by position: cursor {"page": n} returns pages[n]; the last cursor repeats empty."""

    marketplace = "ozon"

    def __init__(self) -> None:
        self.capabilities = Capabilities(max_text_length=1000, can_mark_read=True)
        self.pages: list[UpdatesPage | Exception] = []
        self.history: list[UpdatesPage | Exception] = []
        self.fetch_calls: list[Cursor] = []
        self.history_calls: list[Cursor] = []
        self.position_lookups: list[dict[str, Any]] = []
        self.send_results: list[SendReceipt | Exception] = []
        self.sent: list[tuple[ChatRef, str]] = []
        # (chat, name, content, content_type, text) of every send_file call.
        self.files_sent: list[tuple[ChatRef, str, bytes, str, str]] = []
        self.read_calls: list[tuple[str, str]] = []
        self.fetch_chat_result: RemoteChat | None = None
        self.fetch_chat_calls: list[str] = []
        # What chat_recent_messages answers, in order (a list of messages or an error to raise); the
        # last one repeats.
        self.recent_results: list[list[RemoteMessage] | Exception] = [NotImplementedError("not scripted")]
        self.recent_calls: list[str] = []
        self.before_fetch: Callable[[], None] | None = None
        self.before_send: Callable[[], None] | None = None
        self.lock = threading.Lock()

    def set_pages(self, *pages: UpdatesPage | Exception) -> None:
        self.pages = [self._numbered(page, index, len(pages)) for index, page in enumerate(pages)]

    def set_history(self, *pages: UpdatesPage | Exception) -> None:
        self.history = [self._numbered(page, index, len(pages)) for index, page in enumerate(pages)]

    @staticmethod
    def _numbered(page: UpdatesPage | Exception, index: int, total: int) -> UpdatesPage | Exception:
        if isinstance(page, BaseException):
            return page
        return UpdatesPage(
            chats=page.chats,
            messages=page.messages,
            cursor={"page": index + 1},
            has_more=index + 1 < total,
            skipped=page.skipped,
            requests_made=page.requests_made or 1,
        )

    def _serve(self, pages: list, cursor: Cursor) -> UpdatesPage:
        index = int((cursor or {}).get("page", 0))
        if index >= len(pages):
            return UpdatesPage(cursor=dict(cursor or {"page": 0}), has_more=False, requests_made=1)
        page = pages[index]
        if isinstance(page, BaseException):
            pages[index] = UpdatesPage(cursor={"page": index + 1}, has_more=index + 1 < len(pages))
            raise page
        return page

    def check_credentials(self) -> AccountInfo:
        return AccountInfo(external_id="123456")

    def fetch_updates(self, *, cursor: Cursor, positions: PositionLookup) -> UpdatesPage:
        with self.lock:
            self.fetch_calls.append(dict(cursor))
        if self.before_fetch is not None:
            self.before_fetch()
        index = int((cursor or {}).get("page", 0))
        if index < len(self.pages) and isinstance(self.pages[index], UpdatesPage):
            ids = sorted({message.chat_external_id for message in self.pages[index].messages})
            self.position_lookups.append(dict(positions(ids)))
        return self._serve(self.pages, cursor)

    def fetch_history(self, *, cursor: Cursor, since: datetime | None = None) -> UpdatesPage:
        self.history_calls.append(dict(cursor))
        return self._serve(self.history, cursor)

    def fetch_chat(self, *, chat_external_id: str) -> RemoteChat | None:
        self.fetch_chat_calls.append(chat_external_id)
        return self.fetch_chat_result

    def send_text(self, *, chat: ChatRef, text: str) -> SendReceipt:
        if self.before_send is not None:
            self.before_send()
        with self.lock:
            self.sent.append((chat, text))
            result = self.send_results.pop(0) if self.send_results else SendReceipt(sent_at=at(100))
        if isinstance(result, Exception):
            raise result
        return result

    def send_file(
        self, *, chat: ChatRef, name: str, content: bytes, content_type: str, text: str = ""
    ) -> SendReceipt:
        if self.before_send is not None:
            self.before_send()
        with self.lock:
            self.files_sent.append((chat, name, content, content_type, text))
            result = self.send_results.pop(0) if self.send_results else SendReceipt(sent_at=at(100))
        if isinstance(result, Exception):
            raise result
        return result

    def mark_read(self, *, chat: ChatRef, up_to_message_external_id: str) -> None:
        self.read_calls.append((chat.external_id, up_to_message_external_id))

    def chat_recent_messages(self, *, chat: ChatRef) -> list[RemoteMessage]:
        with self.lock:
            self.recent_calls.append(chat.external_id)
            result = self.recent_results.pop(0) if len(self.recent_results) > 1 else self.recent_results[0]
        if isinstance(result, Exception):
            raise result
        return RecentMessages(result, complete_since=getattr(result, "complete_since", None))

    def download_attachment(self, *, remote_id: str, url: str) -> Download:
        return Download(content=b"%PDF-1.4", content_type="application/pdf", name=f"{remote_id}.pdf")


@pytest.fixture
def fake_connector(monkeypatch) -> FakeConnector:
    connector = FakeConnector()
    built: list[int] = []

    def get_connector(account):
        built.append(account.pk)
        return connector

    monkeypatch.setattr("marketplaces.registry.get_connector", get_connector)
    connector.built = built
    return connector


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[str, tuple]]:
    """Capture django-q enqueues instead of writing them to the broker."""
    calls: list[tuple[str, tuple]] = []

    def async_task(func, *args, **kwargs):
        calls.append((func, args))

    monkeypatch.setattr("django_q.tasks.async_task", async_task)
    return calls


def snapshot() -> tuple[list, list]:
    from inbox.models import Chat, Message

    chats = list(Chat.objects.order_by("pk").values())
    messages = list(Message.objects.order_by("pk").values())
    for row in chats:
        row.pop("updated_at")
    return chats, messages


def two_pages() -> tuple[UpdatesPage, UpdatesPage]:
    first = UpdatesPage(
        chats=(
            RemoteChat(
                external_id="c1",
                buyer_name="Алёна",
                order_number="47873153-0052-1",
                product=RemoteProduct(sku="987654321", title="Чайник"),
                marketplace_status="OPENED",
            ),
        ),
        messages=(
            remote_message("c1", "1001", "Здравствуйте!", minute=1),
            remote_message("c1", "1002", "Когда доставка?", minute=2),
        ),
    )
    second = UpdatesPage(
        messages=(
            remote_message("c1", "1003", "Спасибо, жду", minute=3),
            remote_message("c2", "2001", "Есть размер M?", minute=4),
        )
    )
    return first, second


@pytest.fixture(params=["raw", "orm"])
def bulk_writes(request, settings) -> str:
    """Runs a test on both bulk-write paths of inbox/services/bulk.py."""
    settings.BULK_WRITES = request.param
    return request.param
