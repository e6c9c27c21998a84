"""Wildberries: buyer chats (buyer-chat-api) and product questions (feedbacks-api).

Spec: specs/wb-09-communications-2026-07.yaml (tags "Чат с покупателями", "Вопросы"),
specs/wb-01-general-2026-07.yaml (/ping), specs/wb-api-information-en-2026-08.json (tokens, limits).
"""

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime

from marketplaces import errors
from marketplaces.http import Dialect, HttpClient, Response, body_json_or_none, seconds_header
from marketplaces.ratelimit import BucketSpec, RateLimiter
from marketplaces.types import (
    AccountInfo,
    AttachmentKind,
    Author,
    Capabilities,
    ChatKind,
    ChatRef,
    Cursor,
    Download,
    PositionLookup,
    RemoteAttachment,
    RemoteChat,
    RemoteMessage,
    RemoteProduct,
    SendReceipt,
    SkippedItem,
    UpdatesPage,
)

MARKETPLACE = "wildberries"
LABEL = "Wildberries"

# wb-01-general-2026-07.yaml, GET /ping (chat host variant; 3 requests / 30 s per host).
PING_PATH = "/ping"
# wb-09-communications-2026-07.yaml, "Чат с покупателями" → GET /api/v1/seller/chats (no paging).
CHATS_PATH = "/api/v1/seller/chats"
# wb-09-communications-2026-07.yaml, "Чат с покупателями" → GET /api/v1/seller/events?next= (Unix ms).
EVENTS_PATH = "/api/v1/seller/events"
# wb-09-communications-2026-07.yaml, "Чат с покупателями" → POST /api/v1/seller/message (multipart).
MESSAGE_PATH = "/api/v1/seller/message"
# wb-09-communications-2026-07.yaml, "Чат с покупателями" → GET /api/v1/seller/download/{id}.
DOWNLOAD_PATH = "/api/v1/seller/download/{id}"
# wb-09-communications-2026-07.yaml, "Вопросы" → GET and PATCH /api/v1/questions.
QUESTIONS_PATH = "/api/v1/questions"
# wb-09-communications-2026-07.yaml, "Вопросы" → GET /api/v1/question?id=.
QUESTION_PATH = "/api/v1/question"

MAX_TEXT_LENGTH = 1000
MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_CONTENT_TYPES = ("image/jpeg", "image/png", "application/pdf")
QUESTION_PREFIX = "question:"
QUESTIONS_PAGE_SIZE = 100
# take + skip must stay within 10 000 (GET /api/v1/questions parameters).
QUESTIONS_WINDOW = 10_000
QUESTIONS_POLL_SECONDS = 300.0
ANSWERED_LOOKBACK = timedelta(days=14)
SEEN_EVENT_IDS = 500

# Token bucket per seller account (method descriptions in wb-09-communications-2026-07.yaml).
CHAT_LIMIT = BucketSpec.per_period(name="wildberries-chat", requests=10, seconds=10, burst=10)
CHAT_LIMIT_BASE = BucketSpec.per_period(name="wildberries-chat", requests=1, seconds=3600, burst=1)
DOWNLOAD_LIMIT = BucketSpec.per_period(name="wildberries-download", requests=10, seconds=10, burst=10)
DOWNLOAD_LIMIT_BASE = BucketSpec.per_period(name="wildberries-download", requests=10, seconds=3600, burst=1)
QUESTIONS_LIMIT = BucketSpec.per_period(name="wildberries-feedbacks", requests=3, seconds=1, burst=6)
QUESTIONS_LIMIT_BASE = BucketSpec.per_period(name="wildberries-feedbacks", requests=5, seconds=3600, burst=1)
PING_LIMIT = BucketSpec.per_period(name="wildberries-ping", requests=3, seconds=30, burst=3)

CAPABILITIES = Capabilities(
    max_text_length=MAX_TEXT_LENGTH,
    can_send_files=True,
    can_mark_read=False,
    file_content_types=FILE_CONTENT_TYPES,
    max_file_bytes=MAX_FILE_BYTES,
)

SENDER_AUTHORS = {"client": Author.BUYER, "seller": Author.SELLER, "wb": Author.MARKETPLACE}


class TokenKind:
    BASE = 1
    TEST = 2
    PERSONAL = 3
    SERVICE = 4


TOKEN_KIND_NAMES = {
    TokenKind.BASE: "base",
    TokenKind.TEST: "test",
    TokenKind.PERSONAL: "personal",
    TokenKind.SERVICE: "service",
}

# Scope bit positions from the "authorization" tag of wb-api-information-en-2026-08.json. The docs number
# positions without saying where position 1 is; we read position N as the value 2**N (bit 0 unused). Real
# all-category tokens carry s=16126 (bits 1–7 and 9–13 set, bit 8 clear), which only fits this reading:
# the documented list skips position 8, and with 2**(N-1) those tokens would lack "Buyers chat".
SCOPE_FEEDBACKS_AND_QUESTIONS = 7
SCOPE_BUYERS_CHAT = 9
SCOPE_READ_ONLY = 30


@dataclass(frozen=True)
class WildberriesToken:
    kind: int
    scope: int
    seller_id: str
    expires_at: datetime | None

    def has(self, position: int) -> bool:
        return bool(self.scope >> position & 1)

    @property
    def is_base(self) -> bool:
        return self.kind == TokenKind.BASE

    @property
    def kind_name(self) -> str:
        return TOKEN_KIND_NAMES.get(self.kind, "unknown")


def decode_token(token: str) -> WildberriesToken | None:
    """Read the JWT claims without verifying the signature (WB verifies; we only read the token type)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(segment))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    expires = payload.get("exp")
    return WildberriesToken(
        kind=_int_or(payload.get("acc"), 0),
        scope=_int_or(payload.get("s"), 0),
        seller_id=str(payload.get("sid") or ""),
        expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int | float) else None,
    )


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def error_text(response: Response) -> str:
    """The three WB error shapes: gateway problem+json, chat service (origin proxy-chats), feedbacks-api."""
    body = body_json_or_none(response)
    if not isinstance(body, dict):
        return ""
    if body.get("error") is True and isinstance(body.get("errorText"), str):
        return body["errorText"]
    for name in ("detail", "error", "title", "errorText"):
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def retry_after(response: Response, now: float) -> float | None:
    return seconds_header(response, "X-Ratelimit-Retry") or seconds_header(response, "X-Ratelimit-Reset")


def forbidden(response: Response, text: str) -> errors.MarketplaceError:
    lowered = text.lower()
    if "авторизац" in lowered or "token" in lowered or "unauthorized" in lowered:
        return errors.AuthError(f"{LABEL} не принял токен: {text}", status=403)
    detail = f": {text}" if text else ""
    return errors.CapabilityError(
        f"{LABEL} запретил доступ к методу{detail}. Проверьте категории и уровень доступа токена",
        status=403,
    )


def classify(response: Response, text: str) -> errors.MarketplaceError | None:
    if response.status == 402:
        return errors.CapabilityError(
            f"{LABEL}: на балансе сервиса недостаточно средств (402){': ' + text if text else ''}", status=402
        )
    if response.status == 451:
        return errors.AttachmentRejectedError(f"{LABEL}: файл не прошёл модерацию", status=451)
    return None


DIALECT = Dialect(
    label=LABEL, error_text=error_text, retry_after=retry_after, forbidden=forbidden, classify=classify
)


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, str) and value:
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def from_milliseconds(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


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

    # --- credentials -------------------------------------------------------------------------------

    def check_credentials(self) -> AccountInfo:
        token = self.decoded
        if token is None:
            raise errors.AuthError("Это не токен Wildberries API: ожидается JWT из трёх частей через точку")
        if token.expires_at is not None and token.expires_at <= datetime.fromtimestamp(self.clock(), UTC):
            raise errors.AuthError(
                f"Срок действия токена Wildberries истёк {token.expires_at:%d.%m.%Y}. Создайте новый токен"
            )
        if not token.has(SCOPE_BUYERS_CHAT):
            raise errors.CapabilityError(
                "У токена Wildberries нет категории «Чат с покупателями». Создайте токен с этой категорией"
            )
        self.http.request("GET", PING_PATH, idempotent=True, limits=(PING_LIMIT,))
        notes: list[str] = []
        if token.is_base:
            notes.append(
                "Базовый токен Wildberries: чат с покупателями доступен не чаще 1 запроса в час, вопросы — "
                "5 запросов в час. Новые сообщения будут приходить с задержкой до часа; для работы в "
                "реальном времени нужен персональный или сервисный токен"
            )
        if token.kind == TokenKind.TEST:
            notes.append("Тестовый токен Wildberries работает только в песочнице, не с реальными чатами")
        if not token.has(SCOPE_FEEDBACKS_AND_QUESTIONS):
            notes.append(
                "У токена нет категории «Вопросы и отзывы»: "
                "вопросы покупателей о товарах загружаться не будут"
            )
        if token.has(SCOPE_READ_ONLY):
            notes.append("Токен только для чтения: отправить ответ покупателю через него нельзя")
        return AccountInfo(external_id=token.seller_id, notes=tuple(notes), token_kind=token.kind_name)

    @property
    def questions_enabled(self) -> bool:
        return self.decoded is None or self.decoded.has(SCOPE_FEEDBACKS_AND_QUESTIONS)

    # --- sync --------------------------------------------------------------------------------------

    def fetch_updates(self, *, cursor: Cursor, positions: PositionLookup) -> UpdatesPage:
        state = dict(cursor)
        before = self.http.requests_made
        if state.get("questions_walk"):
            return self._questions_page(state, before=before)
        page = self._events_page(state, positions)
        if page is not None:
            return page
        if self.questions_enabled and self._questions_due(state):
            state["questions_walk"] = {"answered": False, "skip": 0, "started_at": self.clock()}
            return self._questions_page(state, before=before)
        return UpdatesPage(cursor=state, has_more=False, requests_made=self.http.requests_made - before)

    def fetch_history(self, *, cursor: Cursor, since: datetime | None = None) -> UpdatesPage:
        """WB has no per-chat history: the event feed from its beginning is the history."""
        state = dict(cursor)
        before = self.http.requests_made
        if state.get("questions_walk"):
            return self._questions_page(state, before=before)
        page = self._events_page(state, lambda chat_ids: {}, since=since)
        if page is not None:
            return page
        if self.questions_enabled and not state.get("questions_polled_at"):
            state["questions_walk"] = {"answered": False, "skip": 0, "started_at": self.clock()}
            return self._questions_page(state, before=before)
        return UpdatesPage(cursor=state, has_more=False, requests_made=self.http.requests_made - before)

    def _questions_due(self, state: Mapping[str, Any]) -> bool:
        polled = state.get("questions_polled_at")
        return not isinstance(polled, int | float) or self.clock() - polled >= QUESTIONS_POLL_SECONDS

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
        body = self.http.request(
            "GET", EVENTS_PATH, idempotent=True, limits=(self.chat_limit,), params=params or None
        ).json()
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("events", []), list | type(None)):
            raise errors.UnexpectedResponseError(f"{LABEL}: ответ /seller/events не совпадает со схемой")
        events = result.get("events") or []
        total = result.get("totalEvents")
        new_next = result.get("next")
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
                message, chat_details = self._parse_event(event)
            except (KeyError, TypeError, ValueError) as exc:
                reference = event.get("eventID", "") if isinstance(event, dict) else ""
                skipped.append(
                    SkippedItem(reason=f"Событие WB не разобрано: {exc}", reference=str(reference))
                )
                continue
            if message is None:
                skipped.append(
                    SkippedItem(
                        reason="Событие WB без текста и вложений", reference=str(event.get("eventID"))
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
                chats.append(self._chat_from(chat_id, found, listed.get(chat_id)))
        return messages, chats, skipped

    def _parse_event(self, event: Any) -> tuple[RemoteMessage | None, dict[str, Any]]:
        if not isinstance(event, dict):
            raise TypeError("событие не объект")
        chat_id = event["chatID"]
        event_id = event["eventID"]
        if not isinstance(chat_id, str) or not isinstance(event_id, str):
            raise TypeError("chatID и eventID должны быть строками")
        event_type = event.get("eventType", "message")
        created_at = from_milliseconds(event.get("addTimestamp")) or parse_time(event.get("addTime"))
        if created_at is None:
            raise ValueError("нет времени события")
        body = event.get("message") if isinstance(event.get("message"), dict) else {}
        attachments_body = body.get("attachments") if isinstance(body.get("attachments"), dict) else {}
        good_card = (
            attachments_body.get("goodCard") if isinstance(attachments_body.get("goodCard"), dict) else {}
        )
        chat_details = {
            "chat_id": chat_id,
            "reply_sign": event.get("replySign"),
            "client_name": event.get("clientName") if event.get("sender") == "client" else "",
            "good_card": good_card,
            "last_at": created_at,
        }
        if event_type != "message":
            return None, chat_details
        attachments = [
            RemoteAttachment(
                kind=AttachmentKind.IMAGE,
                name=_name_from_url(image.get("url", "")),
                remote_id=str(image.get("downloadID") or ""),
                url=str(image.get("url") or ""),
            )
            for image in attachments_body.get("images") or []
            if isinstance(image, dict)
        ]
        attachments += [
            RemoteAttachment(
                kind=AttachmentKind.FILE,
                name=str(file.get("name") or _name_from_url(file.get("url", ""))),
                content_type=str(file.get("contentType") or ""),
                size=file.get("size") if isinstance(file.get("size"), int) else None,
                remote_id=str(file.get("downloadID") or ""),
                url=str(file.get("url") or ""),
            )
            for file in attachments_body.get("files") or []
            if isinstance(file, dict)
        ]
        text = body.get("text") if isinstance(body.get("text"), str) else ""
        if not text and not attachments:
            return None, chat_details
        message = RemoteMessage(
            chat_external_id=chat_id,
            external_id=event_id,
            author=SENDER_AUTHORS.get(str(event.get("sender")), Author.MARKETPLACE),
            text=text,
            created_at=created_at,
            attachments=tuple(attachments),
            source=str(event.get("source") or ""),
        )
        return message, chat_details

    def _chat_from(
        self, chat_id: str, found: Mapping[str, Any], listed: Mapping[str, Any] | None
    ) -> RemoteChat:
        listed = listed or {}
        good_card = found.get("good_card") or listed.get("goodCard") or {}
        reply_sign = found.get("reply_sign") or listed.get("replySign") or ""
        last_message = listed.get("lastMessage") if isinstance(listed.get("lastMessage"), dict) else {}
        extras: dict[str, Any] = {}
        if reply_sign:
            extras["reply_sign"] = reply_sign
        if isinstance(good_card, dict) and good_card:
            extras["good_card"] = dict(good_card)
        return RemoteChat(
            external_id=chat_id,
            kind=ChatKind.CHAT,
            buyer_name=str(found.get("client_name") or listed.get("clientName") or ""),
            order_number=str(good_card.get("rid") or "") if isinstance(good_card, dict) else "",
            product=_product(good_card),
            last_message_at=from_milliseconds(last_message.get("addTimestamp")) or found.get("last_at"),
            extras=extras,
        )

    def _list_chats(self) -> dict[str, dict[str, Any]]:
        body = self.http.request("GET", CHATS_PATH, idempotent=True, limits=(self.chat_limit,)).json()
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, list):
            raise errors.UnexpectedResponseError(f"{LABEL}: ответ /seller/chats не совпадает со схемой")
        return {
            item["chatID"]: item
            for item in result
            if isinstance(item, dict) and isinstance(item.get("chatID"), str)
        }

    def fetch_chat(self, *, chat_external_id: str) -> RemoteChat | None:
        if chat_external_id.startswith(QUESTION_PREFIX):
            body = self._feedbacks_request(
                "GET", QUESTION_PATH, params={"id": chat_external_id.removeprefix(QUESTION_PREFIX)}
            )
            data = body.get("data")
            if not isinstance(data, dict):
                return None
            chat, _messages = self._parse_question(data)
            return chat
        listed = self._list_chats().get(chat_external_id)
        if listed is None:
            return None
        return self._chat_from(chat_external_id, {}, listed)

    # --- questions ---------------------------------------------------------------------------------

    def _feedbacks_request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        idempotent = method == "GET"
        response = self.http.request(
            method,
            path,
            idempotent=idempotent,
            limits=(self.questions_limit,),
            base_url=self.feedbacks_api_url,
            **kwargs,
        )
        body = response.json()
        if not isinstance(body, dict):
            raise errors.UnexpectedResponseError(f"{LABEL}: ответ {path} не совпадает со схемой")
        if body.get("error") is True:
            text = self.http.scrub(str(body.get("errorText") or "ошибка без описания"))
            raise errors.RequestRejectedError(f"{LABEL} отклонил запрос: {text}", status=response.status)
        return body

    def _questions_page(self, state: dict[str, Any], *, before: int) -> UpdatesPage:
        walk = dict(state["questions_walk"])
        answered = bool(walk.get("answered"))
        skip = int(walk.get("skip") or 0)
        take = min(QUESTIONS_PAGE_SIZE, QUESTIONS_WINDOW - skip)
        params: dict[str, Any] = {
            "isAnswered": "true" if answered else "false",
            "take": take,
            "skip": skip,
            "order": "dateDesc" if answered else "dateAsc",
        }
        if answered:
            started = datetime.fromtimestamp(float(walk.get("started_at") or self.clock()), UTC)
            params["dateFrom"] = int((started - ANSWERED_LOOKBACK).timestamp())
        body = self._feedbacks_request("GET", QUESTIONS_PATH, params=params)
        data = body.get("data")
        questions = data.get("questions") if isinstance(data, dict) else None
        if not isinstance(questions, list):
            raise errors.UnexpectedResponseError(f"{LABEL}: ответ /api/v1/questions не совпадает со схемой")
        chats: list[RemoteChat] = []
        messages: list[RemoteMessage] = []
        skipped: list[SkippedItem] = []
        for question in questions:
            try:
                chat, question_messages = self._parse_question(question)
            except (KeyError, TypeError, ValueError) as exc:
                reference = question.get("id", "") if isinstance(question, dict) else ""
                skipped.append(SkippedItem(reason=f"Вопрос WB не разобран: {exc}", reference=str(reference)))
                continue
            chats.append(chat)
            messages.extend(question_messages)
        skip += len(questions)
        if len(questions) < take or skip >= QUESTIONS_WINDOW:
            if answered:
                state.pop("questions_walk", None)
                state["questions_polled_at"] = float(walk.get("started_at") or self.clock())
            else:
                state["questions_walk"] = {**walk, "answered": True, "skip": 0}
        else:
            state["questions_walk"] = {**walk, "skip": skip}
        return UpdatesPage(
            chats=tuple(chats),
            messages=tuple(messages),
            cursor=state,
            has_more=True,
            skipped=tuple(skipped),
            requests_made=self.http.requests_made - before,
        )

    def _parse_question(self, question: Any) -> tuple[RemoteChat, list[RemoteMessage]]:
        if not isinstance(question, dict):
            raise TypeError("вопрос не объект")
        question_id = question["id"]
        if not isinstance(question_id, str) or not question_id:
            raise TypeError("id вопроса должен быть строкой")
        created_at = parse_time(question.get("createdDate"))
        if created_at is None:
            raise ValueError("нет даты вопроса")
        chat_id = f"{QUESTION_PREFIX}{question_id}"
        messages = [
            RemoteMessage(
                chat_external_id=chat_id,
                external_id=f"{question_id}:question",
                author=Author.BUYER,
                text=str(question.get("text") or ""),
                created_at=created_at,
                is_read=bool(question.get("wasViewed")) if "wasViewed" in question else None,
            )
        ]
        answer = question.get("answer")
        last_at, last_id = created_at, messages[0].external_id
        if isinstance(answer, dict) and answer.get("text"):
            answered_at = parse_time(answer.get("createDate")) or created_at
            messages.append(
                RemoteMessage(
                    chat_external_id=chat_id,
                    external_id=f"{question_id}:answer",
                    author=Author.SELLER,
                    text=str(answer["text"]),
                    created_at=answered_at,
                    is_read=True,
                )
            )
            last_at, last_id = answered_at, messages[1].external_id
        details = question.get("productDetails") if isinstance(question.get("productDetails"), dict) else {}
        nm_id = details.get("nmId")
        chat = RemoteChat(
            external_id=chat_id,
            kind=ChatKind.QUESTION,
            product=RemoteProduct(
                sku=str(nm_id), title=str(details.get("productName") or ""), url=_product_url(nm_id)
            )
            if nm_id
            else None,
            marketplace_status=str(question.get("state") or ""),
            created_at=created_at,
            last_message_at=last_at,
            last_message_external_id=last_id,
            extras={"question_id": question_id, "answer_editable": bool((answer or {}).get("editable"))},
        )
        return chat, messages

    # --- sending -----------------------------------------------------------------------------------

    def send_text(self, *, chat: ChatRef, text: str) -> SendReceipt:
        if not text.strip():
            raise errors.RequestRejectedError("Пустое сообщение отправить нельзя")
        if len(text) > MAX_TEXT_LENGTH:
            raise errors.RequestRejectedError(
                f"Сообщение длиннее {MAX_TEXT_LENGTH} символов ({len(text)}): Wildberries его не примет"
            )
        if chat.kind == ChatKind.QUESTION or chat.external_id.startswith(QUESTION_PREFIX):
            question_id = str(
                chat.extras.get("question_id") or chat.external_id.removeprefix(QUESTION_PREFIX)
            )
            self._feedbacks_request(
                "PATCH",
                QUESTIONS_PATH,
                json_body={"id": question_id, "answer": {"text": text}, "state": "wbRu"},
                action="ответ на вопрос",
            )
            return SendReceipt(sent_at=datetime.fromtimestamp(self.clock(), UTC))
        return self._send_message(chat=chat, parts=[("message", (None, text))])

    def send_file(
        self, *, chat: ChatRef, name: str, content: bytes, content_type: str, text: str = ""
    ) -> SendReceipt:
        """Text and file in one multipart request, as POST /api/v1/seller/message takes them."""
        if chat.kind == ChatKind.QUESTION or chat.external_id.startswith(QUESTION_PREFIX):
            raise errors.RequestRejectedError("К ответу на вопрос Wildberries нельзя приложить файл")
        if content_type.lower() not in FILE_CONTENT_TYPES:
            raise errors.RequestRejectedError("Wildberries принимает только файлы JPEG, PNG и PDF")
        if len(content) > MAX_FILE_BYTES:
            raise errors.RequestRejectedError("Wildberries принимает файлы не больше 5 МБ")
        if len(text) > MAX_TEXT_LENGTH:
            raise errors.RequestRejectedError(
                f"Сообщение длиннее {MAX_TEXT_LENGTH} символов ({len(text)}): Wildberries его не примет"
            )
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
                "Wildberries не выдал подпись чата (replySign): ответить в этот чат пока нельзя"
            )
        response = self.http.request(
            "POST",
            MESSAGE_PATH,
            idempotent=False,
            limits=(self.chat_limit,),
            files=[("replySign", (None, reply_sign)), *parts],
            action="сообщение",
        )
        body = response.json()
        if not isinstance(body, dict):
            raise errors.UnexpectedResponseError(f"{LABEL}: ответ /seller/message не совпадает со схемой")
        upload_errors = [str(item) for item in body.get("errors") or [] if item]
        if upload_errors:
            raise errors.RequestRejectedError(
                f"{LABEL} отклонил файл: {self.http.scrub('; '.join(upload_errors))}", status=response.status
            )
        result = body.get("result") if isinstance(body.get("result"), dict) else {}
        extras: dict[str, Any] = {}
        if result.get("sign"):
            extras["reply_sign"] = result["sign"]
        return SendReceipt(
            sent_at=from_milliseconds(result.get("addTime")) or datetime.fromtimestamp(self.clock(), UTC),
            extras=extras,
        )

    def mark_read(self, *, chat: ChatRef, up_to_message_external_id: str) -> None:
        """WB has no read method for buyer chats."""
        return None

    def download_attachment(self, *, remote_id: str, url: str) -> Download:
        if not remote_id:
            raise errors.RequestRejectedError("У вложения Wildberries нет downloadID")
        response = self.http.request(
            "GET",
            DOWNLOAD_PATH.format(id=remote_id),
            idempotent=True,
            limits=(self.download_limit,),
            ok_statuses=(200, 202),
            max_response_bytes=32 * 1024 * 1024,
        )
        if response.status == 202:
            body = body_json_or_none(response)
            seconds = body.get("retrySeconds") if isinstance(body, dict) else None
            raise errors.AttachmentPendingError(
                "Файл ещё проходит модерацию Wildberries",
                retry_after=float(seconds) if isinstance(seconds, int | float) else 30.0,
            )
        return Download(
            content=response.content,
            content_type=response.content_type or "application/octet-stream",
            name=_name_from_url(url),
        )


def _product(good_card: Any) -> RemoteProduct | None:
    if not isinstance(good_card, dict) or not good_card.get("nmID"):
        return None
    return RemoteProduct(sku=str(good_card["nmID"]), url=_product_url(good_card["nmID"]))


def _product_url(nm_id: Any) -> str:
    return f"https://www.wildberries.ru/catalog/{nm_id}/detail.aspx" if nm_id else ""


def _name_from_url(url: Any) -> str:
    return url.rsplit("/", 1)[-1] if isinstance(url, str) and url else ""
