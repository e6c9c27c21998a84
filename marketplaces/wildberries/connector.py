"""Wildberries: buyer chats (buyer-chat-api) and product questions (feedbacks-api).

Spec: specs/wb-09-communications-2026-07.yaml (tags "Чат с покупателями", "Вопросы"),
specs/wb-01-general-2026-07.yaml (/ping), specs/wb-api-information-en-2026-08.json (tokens, limits).
"""

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.checks import text_check
from marketplaces.http import HttpClient
from marketplaces.ratelimit import BucketSpec, RateLimiter
from marketplaces.spec import capabilities_from
from marketplaces.types import (
    AccountInfo,
    ChatKind,
    ChatRef,
    Cursor,
    Download,
    PositionLookup,
    RecentMessages,
    RemoteChat,
    RemoteMessage,
    SendReceipt,
    SkippedItem,
    UpdatesPage,
)
from marketplaces.wildberries.credentials import (
    SCOPE_BUYERS_CHAT,
    SCOPE_FEEDBACKS_AND_QUESTIONS,
    SCOPE_READ_ONLY,
    TokenKind,
    decode_token,
)
from marketplaces.wildberries.dialect import DIALECT, LABEL
from marketplaces.wildberries.download import attachment_download
from marketplaces.wildberries.parse import (
    QUESTION_PREFIX,
    chat_parse,
    event_parse,
    from_milliseconds,
)
from marketplaces.wildberries.questions import (
    QUESTION_PATH,
    Questions,
    question_id_of,
)
from marketplaces.wildberries.spec import WILDBERRIES_SPEC

MARKETPLACE = WILDBERRIES_SPEC.name

# wb-01-general-2026-07.yaml, GET /ping (chat host variant; 3 requests / 30 s per host).
PING_PATH = "/ping"
# wb-09-communications-2026-07.yaml, "Чат с покупателями" → GET /api/v1/seller/chats (no paging).
CHATS_PATH = "/api/v1/seller/chats"
# wb-09-communications-2026-07.yaml, "Чат с покупателями" → GET /api/v1/seller/events?next= (Unix ms).
EVENTS_PATH = "/api/v1/seller/events"
# wb-09-communications-2026-07.yaml, "Чат с покупателями" → POST /api/v1/seller/message (multipart).
MESSAGE_PATH = "/api/v1/seller/message"

MAX_TEXT_LENGTH = WILDBERRIES_SPEC.text_limit
MAX_FILE_BYTES = WILDBERRIES_SPEC.file_limits.max_bytes
FILE_CONTENT_TYPES = tuple(dict.fromkeys(WILDBERRIES_SPEC.file_limits.extensions.values()))
QUESTIONS_POLL_SECONDS = 300.0
SEEN_EVENT_IDS = 500
# chat_recent_messages: how far back the feed is read for one chat, and at most how many pages.
RECENT_WINDOW = timedelta(minutes=30)
RECENT_MAX_PAGES = 5
# WB stamps events with its own clock: only a reply written this long after the start of the read
# stretch counts as covered by it (absent from it = never arrived).
RECENT_CLOCK_MARGIN = timedelta(minutes=5)

# Token bucket per seller account (method descriptions in wb-09-communications-2026-07.yaml).
CHAT_LIMIT = BucketSpec.per_period(name="wildberries-chat", requests=10, seconds=10, burst=10)
CHAT_LIMIT_BASE = BucketSpec.per_period(name="wildberries-chat", requests=1, seconds=3600, burst=1)
DOWNLOAD_LIMIT = BucketSpec.per_period(name="wildberries-download", requests=10, seconds=10, burst=10)
DOWNLOAD_LIMIT_BASE = BucketSpec.per_period(name="wildberries-download", requests=10, seconds=3600, burst=1)
QUESTIONS_LIMIT = BucketSpec.per_period(name="wildberries-feedbacks", requests=3, seconds=1, burst=6)
QUESTIONS_LIMIT_BASE = BucketSpec.per_period(name="wildberries-feedbacks", requests=5, seconds=3600, burst=1)
PING_LIMIT = BucketSpec.per_period(name="wildberries-ping", requests=3, seconds=30, burst=3)

CAPABILITIES = capabilities_from(WILDBERRIES_SPEC)


class WildberriesConnector:
    marketplace = MARKETPLACE
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        token: str,
        account_key: str,
        chat_api_url: str,
        feedbacks_api_url: str,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.token = token.strip()
        self.decoded = decode_token(self.token)
        self.clock = clock
        is_base = self.decoded is not None and self.decoded.is_base
        self.chat_limit = CHAT_LIMIT_BASE if is_base else CHAT_LIMIT
        self.download_limit = DOWNLOAD_LIMIT_BASE if is_base else DOWNLOAD_LIMIT
        self.questions_limit = QUESTIONS_LIMIT_BASE if is_base else QUESTIONS_LIMIT
        self.feedbacks_api_url = feedbacks_api_url.rstrip("/")
        self.http = HttpClient(
            base_url=chat_api_url,
            dialect=DIALECT,
            # WB limits are per seller account: two of our accounts with tokens of one seller share them.
            account_key=f"wildberries-seller:{self.decoded.seller_id}"
            if self.decoded is not None and self.decoded.seller_id
            else account_key,
            # The security scheme is apiKey in the Authorization header: the raw token, no "Bearer".
            headers={"Authorization": self.token, "Accept": "application/json"},
            secrets=(self.token,),
            limiter=limiter,
            clock=clock,
            sleep=sleep,
        )
        self.questions = Questions(
            http=self.http, base_url=self.feedbacks_api_url, limit=self.questions_limit, clock=clock
        )

    # --- credentials -------------------------------------------------------------------------------

    def check_credentials(self) -> AccountInfo:
        token = self.decoded
        if token is None:
            raise errors.AuthError(
                _("This is not a Wildberries API token: a JWT of three dot-separated parts is expected")
            )
        if token.expires_at is not None and token.expires_at <= datetime.fromtimestamp(self.clock(), UTC):
            raise errors.AuthError(
                _("The Wildberries token expired on %(date)s. Create a new token")
                % {"date": f"{token.expires_at:%d.%m.%Y}"}
            )
        if not token.has(SCOPE_BUYERS_CHAT):
            raise errors.CapabilityError(
                _("The Wildberries token lacks the “Buyers chat” category. Create a token with this category")
            )
        self.http.request("GET", PING_PATH, idempotent=True, limits=(PING_LIMIT,))
        notes: list[str] = []
        if token.is_base:
            notes.append(
                _(
                    "Basic Wildberries token: the buyers chat allows at most 1 request per hour, questions 5 "
                    "requests per hour. New messages will arrive up to an hour late; real-time work needs a "
                    "personal or service token"
                )
            )
        if token.kind == TokenKind.TEST:
            notes.append(_("A Wildberries test token works only in the sandbox, not with real chats"))
        if not token.has(SCOPE_FEEDBACKS_AND_QUESTIONS):
            notes.append(
                _(
                    "The token lacks the “Questions and feedbacks” category: "
                    "buyers' product questions will not load"
                )
            )
        if token.has(SCOPE_READ_ONLY):
            notes.append(_("A read-only token: no answer can be sent to a buyer with it"))
        return AccountInfo(external_id=token.seller_id, notes=tuple(notes), token_kind=token.kind_name)

    @property
    def questions_enabled(self) -> bool:
        return self.decoded is None or self.decoded.has(SCOPE_FEEDBACKS_AND_QUESTIONS)

    # --- sync --------------------------------------------------------------------------------------

    def fetch_updates(self, *, cursor: Cursor, positions: PositionLookup) -> UpdatesPage:
        state = dict(cursor)
        before = self.http.requests_made
        if state.get("questions_walk"):
            return self.questions.page(state, before=before)
        page = self._events_page(state, positions)
        if page is not None:
            return page
        if self.questions_enabled and self._questions_due(state):
            state["questions_walk"] = self.questions.walk_start()
            return self.questions.page(state, before=before)
        return UpdatesPage(cursor=state, has_more=False, requests_made=self.http.requests_made - before)

    def fetch_history(self, *, cursor: Cursor, since: datetime | None = None) -> UpdatesPage:
        """WB has no per-chat history: the event feed from its beginning is the history."""
        state = dict(cursor)
        before = self.http.requests_made
        if state.get("questions_walk"):
            return self.questions.page(state, before=before)
        page = self._events_page(state, lambda chat_ids: {}, since=since)
        if page is not None:
            return page
        if self.questions_enabled and not state.get("questions_polled_at"):
            state["questions_walk"] = self.questions.walk_start(since=since, history=True)
            return self.questions.page(state, before=before)
        return UpdatesPage(cursor=state, has_more=False, requests_made=self.http.requests_made - before)

    def _questions_due(self, state: Mapping[str, Any]) -> bool:
        polled = state.get("questions_polled_at")
        return not isinstance(polled, int | float) or self.clock() - polled >= QUESTIONS_POLL_SECONDS

    def _events_read(self, *, params: dict[str, Any] | None) -> tuple[list[Any], Any, Any]:
        """One GET of the events feed: (events, totalEvents, next) as WB sent them, shape checked."""
        body = self.http.request(
            "GET", EVENTS_PATH, idempotent=True, limits=(self.chat_limit,), params=params
        ).json()
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("events", []), list | type(None)):
            raise errors.schema_error(marketplace=LABEL, what="/seller/events")
        return result.get("events") or [], result.get("totalEvents"), result.get("next")

    def _events_page(
        self, state: dict[str, Any], positions: PositionLookup, *, since: datetime | None = None
    ) -> UpdatesPage | None:
        """One events page, or None when the feed is exhausted (totalEvents == 0)."""
        before = self.http.requests_made
        params: dict[str, Any] = {}
        previous_next = state.get("next")
        if isinstance(previous_next, int) and previous_next > 0:
            params["next"] = previous_next
        elif since is not None:
            params["next"] = int(since.timestamp() * 1000)
        events, total, new_next = self._events_read(params=params or None)
        # next=0 is rejected with 400, and an empty page's value is undocumented: keep ours unless it grew.
        grew = not isinstance(previous_next, int) or (isinstance(new_next, int) and new_next >= previous_next)
        if isinstance(new_next, int) and not isinstance(new_next, bool) and new_next > 0 and grew:
            state["next"] = new_next
        if total == 0 or not events:
            return None
        seen = [value for value in state.get("seen_event_ids", []) if isinstance(value, str)]
        seen_set = set(seen)
        fresh = []
        for event in events:
            event_id = event.get("eventID") if isinstance(event, dict) else None
            if isinstance(event_id, str) and event_id in seen_set:
                continue
            fresh.append(event)
            if isinstance(event_id, str):
                seen.append(event_id)
                seen_set.add(event_id)
        state["seen_event_ids"] = seen[-SEEN_EVENT_IDS:]
        if not fresh and state.get("next") == previous_next:
            # The server repeated a page without moving `next`: we already hold all of it.
            return None
        messages, chats, skipped = self._parse_events(fresh, positions)
        return UpdatesPage(
            chats=tuple(chats),
            messages=tuple(messages),
            cursor=state,
            has_more=True,
            skipped=tuple(skipped),
            requests_made=self.http.requests_made - before,
        )

    def _parse_events(
        self, events: list[Any], positions: PositionLookup
    ) -> tuple[list[RemoteMessage], list[RemoteChat], list[SkippedItem]]:
        messages: list[RemoteMessage] = []
        skipped: list[SkippedItem] = []
        details: dict[str, dict[str, Any]] = {}
        for event in events:
            try:
                message, chat_details = event_parse(event)
            except (KeyError, TypeError, ValueError) as exc:
                reference = event.get("eventID", "") if isinstance(event, dict) else ""
                skipped.append(
                    SkippedItem(
                        reason=_("Wildberries event not parsed: %(error)s") % {"error": exc},
                        reference=str(reference),
                    )
                )
                continue
            if message is None:
                skipped.append(
                    SkippedItem(
                        reason=_("Wildberries event without a message"), reference=str(event.get("eventID"))
                    )
                )
            else:
                messages.append(message)
            merged = details.setdefault(chat_details["chat_id"], {})
            merged.update({key: value for key, value in chat_details.items() if value})
        if not details:
            return messages, [], skipped
        known = positions(list(details))
        new_chat_ids = [chat_id for chat_id in details if chat_id not in known]
        listed: dict[str, dict[str, Any]] = {}
        if any(not details[chat_id].get("reply_sign") for chat_id in new_chat_ids):
            listed = self._list_chats()
        chats = []
        for chat_id, found in details.items():
            if chat_id not in known or found.get("reply_sign"):
                chats.append(chat_parse(chat_id, found, listed.get(chat_id)))
        return messages, chats, skipped

    def _list_chats(self) -> dict[str, dict[str, Any]]:
        body = self.http.request("GET", CHATS_PATH, idempotent=True, limits=(self.chat_limit,)).json()
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, list):
            raise errors.schema_error(marketplace=LABEL, what="/seller/chats")
        return {
            item["chatID"]: item
            for item in result
            if isinstance(item, dict) and isinstance(item.get("chatID"), str)
        }

    def fetch_chat(self, *, chat_external_id: str) -> RemoteChat | None:
        if chat_external_id.startswith(QUESTION_PREFIX):
            found = self.questions.question(question_id=chat_external_id.removeprefix(QUESTION_PREFIX))
            return found[0] if found is not None else None
        listed = self._list_chats().get(chat_external_id)
        if listed is None:
            return None
        return chat_parse(chat_external_id, {}, listed)

    # --- sending -----------------------------------------------------------------------------------

    def send_text(self, *, chat: ChatRef, text: str) -> SendReceipt:
        kind = ChatKind.QUESTION if _is_question(chat) else ChatKind.CHAT
        text_check(spec=WILDBERRIES_SPEC, kind=kind, text=text)
        if kind == ChatKind.QUESTION:
            return self.questions.answer(chat=chat, text=text)
        return self._send_message(chat=chat, parts=[("message", (None, text))])

    def send_file(
        self, *, chat: ChatRef, name: str, content: bytes, content_type: str, text: str = ""
    ) -> SendReceipt:
        """Text and file in one multipart request, as POST /api/v1/seller/message takes them."""
        if _is_question(chat):
            raise errors.RequestRejectedError(_("A file cannot be attached to a Wildberries question answer"))
        if content_type.lower() not in FILE_CONTENT_TYPES:
            raise errors.RequestRejectedError(_("Wildberries takes only JPEG, PNG and PDF files"))
        if len(content) > MAX_FILE_BYTES:
            raise errors.RequestRejectedError(_("Wildberries takes files of at most 5 MB"))
        if text:
            text_check(spec=WILDBERRIES_SPEC, kind=ChatKind.CHAT, text=text)
        parts: list[tuple[str, Any]] = [("message", (None, text))] if text.strip() else []
        parts.append(("file", (name, content, content_type.lower())))
        return self._send_message(chat=chat, parts=parts)

    def _send_message(self, *, chat: ChatRef, parts: list[tuple[str, Any]]) -> SendReceipt:
        reply_sign = str(chat.extras.get("reply_sign") or "")
        if not reply_sign:
            listed = self._list_chats().get(chat.external_id) or {}
            reply_sign = str(listed.get("replySign") or "")
        if not reply_sign:
            raise errors.RequestRejectedError(
                _("Wildberries gave no chat signature (replySign): this chat cannot be answered yet")
            )
        response = self.http.request(
            "POST",
            MESSAGE_PATH,
            idempotent=False,
            limits=(self.chat_limit,),
            files=[("replySign", (None, reply_sign)), *parts],
            action=_("the message"),
        )
        body = response.json()
        if not isinstance(body, dict):
            raise errors.schema_error(marketplace=LABEL, what="/seller/message")
        upload_errors = [str(item) for item in body.get("errors") or [] if item]
        if upload_errors:
            raise errors.RequestRejectedError(
                _("%(marketplace)s rejected %(action)s%(detail)s")
                % {
                    "marketplace": LABEL,
                    "action": _("the file"),
                    "detail": f": {self.http.scrub('; '.join(upload_errors))}",
                },
                status=response.status,
            )
        result = body.get("result") if isinstance(body.get("result"), dict) else {}
        extras: dict[str, Any] = {}
        if result.get("sign"):
            extras["reply_sign"] = result["sign"]
        return SendReceipt(
            sent_at=from_milliseconds(result.get("addTime")) or datetime.fromtimestamp(self.clock(), UTC),
            extras=extras,
        )

    def chat_recent_messages(self, *, chat: ChatRef) -> list[RemoteMessage]:
        """A question: GET /api/v1/question?id= (the question and its one answer). A chat: the events feed
        from RECENT_WINDOW ago to its end, filtered to this chat (the sync cursor is left alone); a feed
        longer than RECENT_MAX_PAGES pages raises TransientError, as a partial read proves nothing.
        A reply older than RECENT_WINDOW is outside what this reads."""
        if _is_question(chat):
            question = self.questions.question(question_id=question_id_of(chat))
            if question is None:
                raise errors.schema_error(marketplace=LABEL, what=QUESTION_PATH)
            return question[1]
        since = datetime.fromtimestamp(self.clock(), UTC) - RECENT_WINDOW
        next_value = int(since.timestamp() * 1000)
        messages: dict[str, RemoteMessage] = {}
        for _page in range(RECENT_MAX_PAGES):
            events, total, new_next = self._events_read(params={"next": next_value})
            for event in events:
                if not isinstance(event, dict) or event.get("chatID") != chat.external_id:
                    continue
                try:
                    message, _details = event_parse(event)
                except (KeyError, TypeError, ValueError):
                    continue
                if message is not None:
                    messages[message.external_id] = message
            feed_ended = total == 0 or not events or not isinstance(new_next, int)
            if feed_ended or new_next <= next_value:
                return RecentMessages(
                    sorted(messages.values(), key=lambda message: message.created_at),
                    complete_since=since + RECENT_CLOCK_MARGIN,
                )
            next_value = new_next
        raise errors.TransientError(
            _(
                "%(marketplace)s: more events than %(pages)s pages since the reply; "
                "they will be read again later"
            )
            % {"marketplace": LABEL, "pages": RECENT_MAX_PAGES}
        )

    def mark_read(self, *, chat: ChatRef, up_to_message_external_id: str) -> None:
        """WB has no read method for buyer chats."""
        return None

    def download_attachment(self, *, remote_id: str, url: str) -> Download:
        return attachment_download(http=self.http, limit=self.download_limit, remote_id=remote_id, url=url)


def _is_question(chat: ChatRef) -> bool:
    return chat.kind == ChatKind.QUESTION or chat.external_id.startswith(QUESTION_PREFIX)
