"""Yandex Market Partner API buyer chats.

Spec: specs/ym-partner-api-openapi-bundled-2026-07.yaml, paths /v2/businesses/{businessId}/chat*
(operations getChats, getChat, getChatHistory, sendMessageToChat, sendFileToChat; hourly limits in each
operation's x-resource-limit-config). Limits and 420: API_REFERENCE.md §3.2 [YM-LIM].
"""

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.checks import text_check
from marketplaces.downloads import file_download
from marketplaces.http import HttpClient
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
from marketplaces.yandex_market.dialect import DIALECT, LABEL, error_text
from marketplaces.yandex_market.parse import chat_parse, message_parse
from marketplaces.yandex_market.spec import YANDEX_MARKET_SPEC

MARKETPLACE = YANDEX_MARKET_SPEC.name

# ym-partner-api-openapi-bundled-2026-07.yaml, POST /v2/businesses/{businessId}/chats (getChats).
CHATS_PATH = "/v2/businesses/{business_id}/chats"
# ym-partner-api-openapi-bundled-2026-07.yaml, GET /v2/businesses/{businessId}/chat (getChat).
CHAT_PATH = "/v2/businesses/{business_id}/chat"
# ym-partner-api-openapi-bundled-2026-07.yaml, POST …/{businessId}/chats/history (getChatHistory).
HISTORY_PATH = "/v2/businesses/{business_id}/chats/history"
# ym-partner-api-openapi-bundled-2026-07.yaml, POST …/{businessId}/chats/message (sendMessageToChat).
SEND_MESSAGE_PATH = "/v2/businesses/{business_id}/chats/message"
# ym-partner-api-openapi-bundled-2026-07.yaml, POST …/{businessId}/chats/file/send (sendFileToChat).
SEND_FILE_PATH = "/v2/businesses/{business_id}/chats/file/send"

CHATS_PAGE_SIZE = 20  # PageLimit20
HISTORY_PAGE_SIZE = 100  # PageLimit100
HISTORY_CALLS_PER_PAGE = 20
# A backfill page may take longer: fewer, larger write transactions for a history walked only once.
BACKFILL_HISTORY_CALLS_PER_PAGE = 50
MAX_TEXT_LENGTH = YANDEX_MARKET_SPEC.text_limit  # SendMessageToChatRequest.message maxLength
MAX_FILE_BYTES = YANDEX_MARKET_SPEC.file_limits.max_bytes  # SendFileToChatRequest.file
# Chats where the buyer waits for us: listed on every pass. Everything else only in a periodic sweep,
# which keeps a 1000-chat cabinet at ~360 getChats calls/hour at a 60 s interval (quota 5000/hour).
WAITING_STATUSES = ("NEW", "WAITING_FOR_PARTNER")
SWEEP_SECONDS = 600.0
# chat_recent_messages reads at most this many history pages (100 messages each).
RECENT_MAX_PAGES = 5

PARALLEL_REQUESTS = 4
LIMIT_GET_CHATS = BucketSpec.per_period(name="yandex_market-getChats", requests=5000, seconds=3600)
LIMIT_GET_CHAT = BucketSpec.per_period(name="yandex_market-getChat", requests=1000, seconds=3600)
LIMIT_GET_CHAT_HISTORY = BucketSpec.per_period(
    name="yandex_market-getChatHistory", requests=10000, seconds=3600
)
LIMIT_SEND_MESSAGE = BucketSpec.per_period(
    name="yandex_market-sendMessageToChat", requests=1000, seconds=3600
)
LIMIT_SEND_FILE = BucketSpec.per_period(name="yandex_market-sendFileToChat", requests=1000, seconds=3600)

CAPABILITIES = capabilities_from(YANDEX_MARKET_SPEC)


class YandexMarketConnector:
    marketplace = MARKETPLACE
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        api_key: str,
        business_id: str,
        account_key: str,
        api_url: str,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.business_id = str(business_id).strip()
        self.clock = clock
        self.http = HttpClient(
            base_url=api_url,
            dialect=DIALECT,
            # The 4-parallel limit and the hourly quotas belong to the business, not to our account row.
            account_key=f"yandex_market-business:{self.business_id}" if self.business_id else account_key,
            # Api-Key header with the raw key: a "Bearer" prefix is rejected (401 prefix invalid).
            headers={"Api-Key": api_key.strip(), "Accept": "application/json"},
            secrets=(api_key.strip(),),
            limiter=limiter,
            clock=clock,
            sleep=sleep,
        )

    def _call(
        self,
        method: str,
        path: str,
        *,
        limit: BucketSpec,
        idempotent: bool = True,
        action: str = "",
        **kwargs: Any,
    ) -> dict[str, Any]:
        response = self.http.request(
            method,
            path.format(business_id=self.business_id),
            idempotent=idempotent,
            limits=(limit,),
            concurrency=("yandex_market-parallel", PARALLEL_REQUESTS),
            action=action,
            **kwargs,
        )
        body = response.json()
        if not isinstance(body, dict) or body.get("status") not in ("OK", "ERROR"):
            raise errors.UnexpectedResponseError(
                _("%(marketplace)s: an answer without status=OK — the schema changed")
                % {"marketplace": LABEL}
            )
        if body["status"] == "ERROR":
            # Outside the f-string: message extraction does not look inside one.
            description = self.http.scrub(error_text(response)) or _("no description")
            raise errors.RequestRejectedError(
                _("%(marketplace)s rejected %(action)s%(detail)s")
                % {
                    "marketplace": LABEL,
                    "action": action or _("the request"),
                    "detail": f": {description}",
                },
                status=response.status,
            )
        return body

    # --- credentials -------------------------------------------------------------------------------

    def check_credentials(self) -> AccountInfo:
        if not self.business_id.isdigit():
            raise errors.AuthError(_("Yandex Market businessId is a number, e.g. 12345678"))
        self._call("POST", CHATS_PATH, limit=LIMIT_GET_CHATS, params={"limit": 1}, json_body={})
        return AccountInfo(external_id=self.business_id)

    # --- sync --------------------------------------------------------------------------------------

    def fetch_updates(self, *, cursor: Cursor, positions: PositionLookup) -> UpdatesPage:
        return self._walk(cursor=cursor, positions=positions, since=None, backfill=False)

    def fetch_history(self, *, cursor: Cursor, since: datetime | None = None) -> UpdatesPage:
        return self._walk(cursor=cursor, positions=lambda chat_ids: {}, since=since, backfill=True)

    def _walk(
        self, *, cursor: Cursor, positions: PositionLookup, since: datetime | None, backfill: bool
    ) -> UpdatesPage:
        """Cursor: `mode` ("waiting" | "sweep") and `page_token` of the pass in progress, `last_sweep_at`,
        and `pending` — listed chats whose history is still to fetch (with `from` and `page_token`)."""
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
        return self._list_step(state, positions, backfill=backfill)

    def history_step(
        self, item: dict[str, Any], *, since: datetime | None, skipped: list[SkippedItem]
    ) -> tuple[list[RemoteMessage], bool]:
        return self._history_step(item, since=since, skipped=skipped)

    def history_done(self, item: dict[str, Any]) -> RemoteChat | None:
        # Yandex Market chats are reported by the list step: the list carries all their metadata.
        return None

    def list_more(self, state: dict[str, Any]) -> bool:
        return bool(state.get("mode"))

    def _list_step(
        self, state: dict[str, Any], positions: PositionLookup, *, backfill: bool
    ) -> tuple[list[RemoteChat], list[dict[str, Any]], list[SkippedItem]]:
        now = self.clock()
        if not state.get("mode"):
            last_sweep = state.get("last_sweep_at")
            due = backfill or not isinstance(last_sweep, int | float) or now - last_sweep >= SWEEP_SECONDS
            state["mode"] = "sweep" if due else "waiting"
            state["pass_started_at"] = now
            state["page_token"] = None
        filters: dict[str, Any] = {} if state["mode"] == "sweep" else {"statuses": list(WAITING_STATUSES)}
        params: dict[str, Any] = {"limit": CHATS_PAGE_SIZE}
        if state.get("page_token"):
            params["page_token"] = state["page_token"]
        body = self._call("POST", CHATS_PATH, limit=LIMIT_GET_CHATS, params=params, json_body=filters)
        result = body.get("result")
        raw_chats = result.get("chats") if isinstance(result, dict) else None
        if not isinstance(raw_chats, list):
            raise errors.schema_error(marketplace=LABEL, what="getChats")
        paging = result.get("paging") if isinstance(result.get("paging"), dict) else {}
        next_token = paging.get("nextPageToken")
        if isinstance(next_token, str) and next_token:
            state["page_token"] = next_token
        else:
            if state["mode"] == "sweep":
                state["last_sweep_at"] = state.get("pass_started_at", now)
            state["mode"] = None
            state["page_token"] = None
        chats: list[RemoteChat] = []
        skipped: list[SkippedItem] = []
        for raw in raw_chats:
            try:
                chats.append(chat_parse(raw))
            except (KeyError, TypeError, ValueError) as exc:
                skipped.append(
                    SkippedItem(reason=_("Yandex Market chat not parsed: %(error)s") % {"error": exc})
                )
        known: Mapping[str, ChatPosition] = positions([chat.external_id for chat in chats]) if chats else {}
        pending = []
        for chat in chats:
            position = known.get(chat.external_id)
            if backfill or position is None or not position.last_message_external_id:
                pending.append({"chat_id": chat.external_id, "from": None, "page_token": None})
            elif (
                chat.last_message_at is not None
                and position.last_message_at is not None
                and chat.last_message_at > position.last_message_at
            ):
                pending.append(
                    {
                        "chat_id": chat.external_id,
                        "from": position.last_message_external_id,
                        "page_token": None,
                    }
                )
        return chats, pending, skipped

    def _history_step(
        self, item: dict[str, Any], *, since: datetime | None, skipped: list[SkippedItem]
    ) -> tuple[list[RemoteMessage], bool]:
        params: dict[str, Any] = {"chatId": item["chat_id"], "limit": HISTORY_PAGE_SIZE}
        if item.get("page_token"):
            params["page_token"] = item["page_token"]
        body: dict[str, Any] = {}
        if item.get("from"):
            body["messageIdFrom"] = int(item["from"])
        parsed = self._call("POST", HISTORY_PATH, limit=LIMIT_GET_CHAT_HISTORY, params=params, json_body=body)
        result = parsed.get("result")
        raw_messages = result.get("messages") if isinstance(result, dict) else None
        if not isinstance(raw_messages, list):
            raise errors.schema_error(marketplace=LABEL, what="getChatHistory")
        messages = []
        for raw in raw_messages:
            try:
                message = message_parse(item["chat_id"], raw)
            except (KeyError, TypeError, ValueError) as exc:
                reference = (
                    f"{item['chat_id']}/{raw.get('messageId', '')}"
                    if isinstance(raw, dict)
                    else item["chat_id"]
                )
                skipped.append(
                    SkippedItem(
                        reason=_("Yandex Market message not parsed: %(error)s") % {"error": exc},
                        reference=reference,
                    )
                )
                continue
            if message.external_id == item.get("from"):
                continue
            if since is not None and message.created_at < since:
                continue
            messages.append(message)
        paging = result.get("paging") if isinstance(result.get("paging"), dict) else {}
        next_token = paging.get("nextPageToken")
        if isinstance(next_token, str) and next_token and next_token != item.get("page_token"):
            item["page_token"] = next_token
            return messages, False
        return messages, True

    def fetch_chat(self, *, chat_external_id: str) -> RemoteChat | None:
        try:
            body = self._call("GET", CHAT_PATH, limit=LIMIT_GET_CHAT, params={"chatId": chat_external_id})
        except errors.RequestRejectedError as exc:
            if exc.status == 404:
                return None
            raise
        result = body.get("result")
        if not isinstance(result, dict):
            raise errors.schema_error(marketplace=LABEL, what="getChat")
        try:
            return chat_parse(result)
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.schema_error(marketplace=LABEL, what="getChat") from exc

    # --- sending -----------------------------------------------------------------------------------

    def send_text(self, *, chat: ChatRef, text: str) -> SendReceipt:
        text_check(spec=YANDEX_MARKET_SPEC, kind=chat.kind, text=text)
        self._call(
            "POST",
            SEND_MESSAGE_PATH,
            limit=LIMIT_SEND_MESSAGE,
            idempotent=False,
            action=_("the message"),
            params={"chatId": chat.external_id},
            json_body={"message": text},
        )
        return SendReceipt(sent_at=datetime.fromtimestamp(self.clock(), UTC))

    def send_file(
        self, *, chat: ChatRef, name: str, content: bytes, content_type: str, text: str = ""
    ) -> SendReceipt:
        if text.strip():
            raise errors.RequestRejectedError(_("Yandex Market takes text and a file as separate messages"))
        if not content:
            raise errors.RequestRejectedError(_("An empty file cannot be sent"))
        if len(content) > MAX_FILE_BYTES:
            raise errors.RequestRejectedError(_("Yandex Market takes files of at most 5 MB"))
        self._call(
            "POST",
            SEND_FILE_PATH,
            limit=LIMIT_SEND_FILE,
            idempotent=False,
            action=_("the file"),
            params={"chatId": chat.external_id},
            files=[("file", (name, content, content_type or "application/octet-stream"))],
        )
        return SendReceipt(sent_at=datetime.fromtimestamp(self.clock(), UTC))

    def chat_recent_messages(self, *, chat: ChatRef) -> list[RemoteMessage]:
        """The chat's history to its end: POST …/chats/history?chatId=, from `messageIdFrom` when we know
        our newest message (the history reads oldest first), following page_token for at most
        RECENT_MAX_PAGES pages. A history longer than that raises TransientError: messages read only in
        part prove nothing about a reply, so it stays `unknown`."""
        body: dict[str, Any] = {}
        if chat.last_message_external_id.isdigit():
            body["messageIdFrom"] = int(chat.last_message_external_id)
        params: dict[str, Any] = {"chatId": chat.external_id, "limit": HISTORY_PAGE_SIZE}
        messages: dict[str, RemoteMessage] = {}
        for _page in range(RECENT_MAX_PAGES):
            parsed = self._call(
                "POST", HISTORY_PATH, limit=LIMIT_GET_CHAT_HISTORY, params=params, json_body=body
            )
            result = parsed.get("result")
            raw_messages = result.get("messages") if isinstance(result, dict) else None
            if not isinstance(raw_messages, list):
                raise errors.schema_error(marketplace=LABEL, what="getChatHistory")
            for raw in raw_messages:
                try:
                    message = message_parse(chat.external_id, raw)
                except (KeyError, TypeError, ValueError):
                    continue
                messages[message.external_id] = message
            paging = result.get("paging") if isinstance(result.get("paging"), dict) else {}
            next_token = paging.get("nextPageToken")
            if not isinstance(next_token, str) or not next_token or next_token == params.get("page_token"):
                return sorted(messages.values(), key=lambda message: message.created_at)
            params = {**params, "page_token": next_token}
        raise errors.TransientError(
            _(
                "%(marketplace)s: the chat's history is longer than %(pages)s pages; "
                "it will be read again later"
            )
            % {"marketplace": LABEL, "pages": RECENT_MAX_PAGES}
        )

    def mark_read(self, *, chat: ChatRef, up_to_message_external_id: str) -> None:
        """Yandex Market has no read method; chat statuses say who is expected to answer."""
        return None

    def download_attachment(self, *, remote_id: str, url: str) -> Download:
        """Yandex Market gives each file a download link (payload.url): fetched from its own hosts only."""
        return file_download(
            url=url, file_hosts=YANDEX_MARKET_SPEC.file_hosts, api_url=self.http.base_url, label=LABEL
        )
