"""Ozon Seller API buyer chats.

Spec: specs/ozon-chat-push-subset-2026-10-derived.json (chat methods as of 2026-10, tags ChatAPI,
Premium, Limits) with specs/ozon-seller-swagger-2025-08.json (Errors tag, older enum spelling).
"""

import base64
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.checks import text_check
from marketplaces.downloads import file_download
from marketplaces.http import HttpClient, Response
from marketplaces.ozon.dialect import DIALECT, LABEL
from marketplaces.ozon.parse import chat_from, chat_info, is_true, message_id, message_parse
from marketplaces.ozon.ratings import RatingHistory, RatingSummary, rating_history_fetch, rating_summary_fetch
from marketplaces.ozon.spec import OZON_SPEC
from marketplaces.ratelimit import BucketSpec, RateLimiter
from marketplaces.spec import capabilities_from
from marketplaces.types import (
    AccountInfo,
    ChatPosition,
    ChatRef,
    Cursor,
    Download,
    PositionLookup,
    RemoteChat,
    RemoteMessage,
    SendReceipt,
    SkippedItem,
    UpdatesPage,
)
from marketplaces.walk import walk_page

MARKETPLACE = OZON_SPEC.name

# ozon-chat-push-subset-2026-10-derived.json, ChatAPI → POST /v3/chat/list (ChatAPI_ChatListV3).
CHAT_LIST_PATH = "/v3/chat/list"
# ozon-chat-push-subset-2026-10-derived.json, Premium → POST /v3/chat/history (ChatAPI_ChatHistoryV3).
CHAT_HISTORY_PATH = "/v3/chat/history"
# ozon-chat-push-subset-2026-10-derived.json, Premium → POST /v1/chat/send/message (ChatAPI_ChatSendMessage).
SEND_MESSAGE_PATH = "/v1/chat/send/message"
# ozon-chat-push-subset-2026-10-derived.json, ChatAPI → POST /v1/chat/send/file (ChatAPI_ChatSendFile).
SEND_FILE_PATH = "/v1/chat/send/file"
# ozon-chat-push-subset-2026-10-derived.json, Premium → POST /v2/chat/read (ChatAPI_ChatReadV2).
CHAT_READ_PATH = "/v2/chat/read"

LIST_PAGE_SIZE = 100  # v3ChatList.limit maximum in 2026
HISTORY_PAGE_SIZE = 100  # v3ChatHistoryRequest.limit allows up to 1000; smaller pages keep a sync page short
HISTORY_CALLS_PER_PAGE = 20
# A backfill page may take longer: fewer, larger write transactions for a history walked only once.
BACKFILL_HISTORY_CALLS_PER_PAGE = 50
MAX_TEXT_LENGTH = OZON_SPEC.text_limit

# Limits tag: 50 requests per second per Client-Id unless a method states its own (chat methods do not).
CLIENT_LIMIT = BucketSpec.per_period(name="ozon-client", requests=50, seconds=1, burst=50)

CAPABILITIES = capabilities_from(OZON_SPEC)


class OzonConnector:
    marketplace = MARKETPLACE
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        client_id: str,
        api_key: str,
        account_key: str,
        api_url: str,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client_id = client_id.strip()
        self.clock = clock
        self.http = HttpClient(
            base_url=api_url,
            dialect=DIALECT,
            # The limit belongs to the Client-Id, whichever of our accounts uses it.
            account_key=f"ozon-client:{self.client_id}" if self.client_id else account_key,
            headers={"Client-Id": self.client_id, "Api-Key": api_key.strip(), "Accept": "application/json"},
            secrets=(api_key.strip(),),
            limiter=limiter,
            clock=clock,
            sleep=sleep,
        )

    def _post(self, path: str, body: Mapping[str, Any], *, idempotent: bool = True, action: str = "") -> Any:
        response = self.http.request(
            "POST", path, idempotent=idempotent, limits=(CLIENT_LIMIT,), json_body=dict(body), action=action
        )
        parsed = response.json()
        if not isinstance(parsed, dict):
            raise errors.schema_error(marketplace=LABEL, what=path)
        return parsed

    # --- credentials -------------------------------------------------------------------------------

    def check_credentials(self) -> AccountInfo:
        if not self.client_id.isdigit():
            raise errors.AuthError(_("Ozon Client-Id is a number, e.g. 123456"))
        self._list_page(list_cursor=None, limit=1)
        return AccountInfo(external_id=self.client_id)

    # --- Ozon's own seller ratings ------------------------------------------------------------------

    def _rating_post(self, path: str, body: Mapping[str, Any], *, ok_statuses: Iterable[int]) -> Response:
        return self.http.request(
            "POST",
            path,
            idempotent=True,
            limits=(CLIENT_LIMIT,),
            json_body=dict(body),
            ok_statuses=ok_statuses,
        )

    def rating_summary(self) -> RatingSummary:
        return rating_summary_fetch(post=self._rating_post)

    def rating_history(
        self, *, date_from: datetime, date_to: datetime, ratings: Sequence[str]
    ) -> tuple[RatingHistory, ...]:
        return rating_history_fetch(
            post=self._rating_post, date_from=date_from, date_to=date_to, ratings=ratings
        )

    # --- sync --------------------------------------------------------------------------------------

    def _list_page(
        self, *, list_cursor: str | None, limit: int = LIST_PAGE_SIZE
    ) -> tuple[list[Any], str, bool]:
        body: dict[str, Any] = {"filter": {"chat_status": "ALL"}, "limit": limit}
        if list_cursor:
            body["cursor"] = list_cursor
        parsed = self._post(CHAT_LIST_PATH, body)
        chats = parsed.get("chats")
        if chats is None:
            chats = []
        if not isinstance(chats, list):
            raise errors.schema_error(marketplace=LABEL, what="/v3/chat/list")
        return chats, str(parsed.get("cursor") or ""), is_true(parsed.get("has_next"))

    def fetch_updates(self, *, cursor: Cursor, positions: PositionLookup) -> UpdatesPage:
        return self._walk(cursor=cursor, positions=positions, since=None, backfill=False)

    def fetch_history(self, *, cursor: Cursor, since: datetime | None = None) -> UpdatesPage:
        return self._walk(cursor=cursor, positions=lambda chat_ids: {}, since=since, backfill=True)

    def _walk(
        self, *, cursor: Cursor, positions: PositionLookup, since: datetime | None, backfill: bool
    ) -> UpdatesPage:
        """Cursor: `list_cursor` (Ozon's cursor inside the current pass), `list_more`, and `pending` —
        chats of the listed page whose history is still to fetch, each with its direction and start id."""
        return walk_page(
            walker=self,
            requests_made=lambda: self.http.requests_made,
            cursor=cursor,
            positions=positions,
            since=since,
            backfill=backfill,
            history_calls=BACKFILL_HISTORY_CALLS_PER_PAGE if backfill else HISTORY_CALLS_PER_PAGE,
        )

    # --- the walker's steps (marketplaces.walk.ListThenHistory) -------------------------------------

    def list_step(
        self, state: dict[str, Any], positions: PositionLookup, *, backfill: bool
    ) -> tuple[list[RemoteChat], list[dict[str, Any]], list[SkippedItem]]:
        list_cursor = state.get("list_cursor") if state.get("list_more") else None
        chats, next_cursor, has_next = self._list_page(list_cursor=list_cursor)
        state["list_cursor"] = next_cursor if has_next else None
        state["list_more"] = has_next
        pending, skipped = self._plan(chats, positions, backfill=backfill)
        # Ozon chats are reported once their history is read: only it carries the order and the SKU.
        return [], pending, skipped

    def history_step(
        self, item: dict[str, Any], *, since: datetime | None, skipped: list[SkippedItem]
    ) -> tuple[list[RemoteMessage], bool]:
        messages, done, context = self._history_step(item, since=since, skipped=skipped)
        item.setdefault("order_number", "")
        item.setdefault("sku", "")
        if context.get("order_number"):
            item["order_number"] = item["order_number"] or context["order_number"]
        if context.get("sku"):
            item["sku"] = item["sku"] or context["sku"]
        return messages, done

    def history_done(self, item: dict[str, Any]) -> RemoteChat | None:
        return chat_from(item)

    def list_more(self, state: dict[str, Any]) -> bool:
        return bool(state.get("list_more"))

    def _plan(
        self, chats: list[Any], positions: PositionLookup, *, backfill: bool
    ) -> tuple[list[dict[str, Any]], list[SkippedItem]]:
        infos: list[dict[str, Any]] = []
        skipped: list[SkippedItem] = []
        for entry in chats:
            try:
                info = chat_info(entry)
            except (KeyError, TypeError, ValueError) as exc:
                skipped.append(SkippedItem(reason=_("Ozon chat not parsed: %(error)s") % {"error": exc}))
                continue
            if info is not None:
                infos.append(info)
        known: Mapping[str, ChatPosition] = positions([info["chat_id"] for info in infos]) if infos else {}
        pending = []
        for info in infos:
            position = known.get(info["chat_id"])
            if backfill or position is None or not position.last_message_external_id:
                pending.append({**info, "direction": "Backward", "from": None})
            elif info["last_message_id"] and info["last_message_id"] != position.last_message_external_id:
                pending.append({**info, "direction": "Forward", "from": position.last_message_external_id})
        return pending, skipped

    def _history_step(
        self, item: dict[str, Any], *, since: datetime | None, skipped: list[SkippedItem]
    ) -> tuple[list[RemoteMessage], bool, dict[str, str]]:
        body: dict[str, Any] = {
            "chat_id": item["chat_id"],
            "direction": item["direction"],
            "limit": HISTORY_PAGE_SIZE,
        }
        if item.get("from"):
            # uint64 in the schema: send the exact integer, never a float.
            body["from_message_id"] = int(item["from"])
        parsed = self._post(CHAT_HISTORY_PATH, body)
        raw_messages = parsed.get("messages") or []
        if not isinstance(raw_messages, list):
            raise errors.schema_error(marketplace=LABEL, what="/v3/chat/history")
        messages: list[RemoteMessage] = []
        context: dict[str, str] = {}
        reached_since = False
        for raw in raw_messages:
            try:
                message, message_context = message_parse(item["chat_id"], raw)
            except (KeyError, TypeError, ValueError) as exc:
                reference = (
                    f"{item['chat_id']}/{raw.get('message_id', '')}"
                    if isinstance(raw, dict)
                    else item["chat_id"]
                )
                skipped.append(
                    SkippedItem(
                        reason=_("Ozon message not parsed: %(error)s") % {"error": exc}, reference=reference
                    )
                )
                continue
            if message.external_id == item.get("from"):
                continue
            if since is not None and message.created_at < since:
                reached_since = True
                continue
            messages.append(message)
            for key, value in message_context.items():
                context.setdefault(key, value)
        ids = [
            str(raw["message_id"])
            for raw in raw_messages
            if isinstance(raw, dict) and str(raw.get("message_id", "")).isdigit()
        ]
        has_next = is_true(parsed.get("has_next")) and bool(ids)
        if has_next and not reached_since:
            # Forward pages run old→new and Backward new→old: continue from the last id of this page.
            next_from = ids[-1]
            if next_from != item.get("from"):
                item["from"] = next_from
                return messages, False, context
        return messages, True, context

    def fetch_chat(self, *, chat_external_id: str) -> RemoteChat | None:
        """Ozon cannot look up one chat by id; the list walk delivers chat metadata."""
        return None

    # --- sending -----------------------------------------------------------------------------------

    def send_text(self, *, chat: ChatRef, text: str) -> SendReceipt:
        text_check(spec=OZON_SPEC, kind=chat.kind, text=text)
        self._post(
            SEND_MESSAGE_PATH,
            {"chat_id": chat.external_id, "text": text},
            idempotent=False,
            action=_("the message"),
        )
        return SendReceipt(sent_at=datetime.fromtimestamp(self.clock(), UTC))

    def send_file(
        self, *, chat: ChatRef, name: str, content: bytes, content_type: str, text: str = ""
    ) -> SendReceipt:
        if text.strip():
            raise errors.RequestRejectedError(_("Ozon takes text and a file as separate messages"))
        if not content:
            raise errors.RequestRejectedError(_("An empty file cannot be sent"))
        self._post(
            SEND_FILE_PATH,
            {
                "chat_id": chat.external_id,
                "name": name,
                "base64_content": base64.b64encode(content).decode("ascii"),
            },
            idempotent=False,
            action=_("the file"),
        )
        return SendReceipt(sent_at=datetime.fromtimestamp(self.clock(), UTC))

    def chat_recent_messages(self, *, chat: ChatRef) -> list[RemoteMessage]:
        """The newest history page of one chat: POST /v3/chat/history, direction Backward, no start id."""
        parsed = self._post(
            CHAT_HISTORY_PATH,
            {"chat_id": chat.external_id, "direction": "Backward", "limit": HISTORY_PAGE_SIZE},
        )
        raw_messages = parsed.get("messages") or []
        if not isinstance(raw_messages, list):
            raise errors.schema_error(marketplace=LABEL, what="/v3/chat/history")
        messages = []
        for raw in raw_messages:
            try:
                message, _context = message_parse(chat.external_id, raw)
            except (KeyError, TypeError, ValueError):
                continue
            messages.append(message)
        return sorted(messages, key=lambda message: message.created_at)

    def mark_read(self, *, chat: ChatRef, up_to_message_external_id: str) -> None:
        body: dict[str, Any] = {"chat_id": chat.external_id}
        if up_to_message_external_id:
            body["from_message_id"] = int(message_id(up_to_message_external_id))
        self._post(CHAT_READ_PATH, body)

    def download_attachment(self, *, remote_id: str, url: str) -> Download:
        """Ozon files are public links inside the message Markdown: fetched from Ozon's own hosts only."""
        return file_download(
            url=url, file_hosts=OZON_SPEC.file_hosts, api_url=self.http.base_url, label=LABEL
        )
