"""The Telegram Bot API, through the product's one HTTP client.

We call six methods with plain JSON bodies, so a client library would add a dependency (and its own
HTTP stack, retries and logging that bypass our secret scrubbing) for little: the token sits in the URL
path, and `marketplaces.http` logs only the method path and scrubs the token from every message.
Reference: https://core.telegram.org/bots/api (Making requests, getUpdates, sendMessage,
editMessageText, answerCallbackQuery, setWebhook, deleteWebhook, getMe; ResponseParameters.retry_after).
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from marketplaces import errors
from marketplaces.http import Dialect, HttpClient, Response, body_json_or_none
from marketplaces.ratelimit import BucketSpec, RateLimiter

# "If you're sending bulk notifications to multiple users, the API will not allow more than 30 messages
# per second"; "avoid sending more than one message per second" to one chat (Bots FAQ).
GLOBAL_LIMIT = BucketSpec.per_period(name="telegram-bot", requests=25, seconds=1, burst=25)
PER_CHAT_LIMIT = BucketSpec.per_period(name="telegram-chat", requests=1, seconds=1, burst=1)
LONG_POLL_SECONDS = 25
# sendMessage and editMessageText take "1-4096 characters after entities parsing".
MESSAGE_TEXT_LIMIT = 4096


class TelegramBlockedError(errors.RequestRejectedError):
    """403 (the user blocked the bot) or 400 "chat not found" (the account or chat is gone): nothing more
    can be sent to that chat."""


class TelegramConflictError(errors.RequestRejectedError):
    """409: getUpdates while a webhook is set, or two pollers at once."""


class TelegramNotModifiedError(errors.RequestRejectedError):
    """400 "message is not modified": the edit asked for the text the message already has."""


def _error_text(response: Response) -> str:
    body = body_json_or_none(response)
    if isinstance(body, dict):
        return str(body.get("description") or "")
    return ""


def _retry_after(response: Response, now: float) -> float | None:
    body = body_json_or_none(response)
    parameters = body.get("parameters") if isinstance(body, dict) else None
    if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
        return float(parameters["retry_after"])
    return None


def _classify(response: Response, text: str) -> errors.MarketplaceError | None:
    if response.status == 403 or (response.status == 400 and "chat not found" in text.lower()):
        return TelegramBlockedError(f"Telegram: {text}", status=response.status)
    if response.status == 409:
        return TelegramConflictError(f"Telegram: {text}", status=409)
    if response.status == 400 and "message is not modified" in text.lower():
        return TelegramNotModifiedError(f"Telegram: {text}", status=400)
    return None


DIALECT = Dialect(label="Telegram", error_text=_error_text, retry_after=_retry_after, classify=_classify)


@dataclass(frozen=True)
class SentMessage:
    chat_id: int
    message_id: int


def _text_within_limit(text: str) -> str:
    """The text cut to Telegram's limit, counted in UTF-16 code units (the stricter way to count: a
    character outside the Basic Multilingual Plane, such as an emoji, is two)."""
    if len(text.encode("utf-16-le")) <= 2 * MESSAGE_TEXT_LIMIT:
        return text
    total = 0
    for index, character in enumerate(text):
        total += 2 if ord(character) > 0xFFFF else 1
        if total > MESSAGE_TEXT_LIMIT - 1:  # one unit is kept for the "…"
            return text[:index] + "…"
    return text


def telegram_configured() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN)


def telegram_webhook_mode() -> bool:
    """Telegram pushes updates to our webhook (a secret is set) instead of our polling getUpdates."""
    return telegram_configured() and bool(settings.TELEGRAM_WEBHOOK_SECRET)


class TelegramBot:
    def __init__(self, *, token: str | None = None, api_url: str | None = None) -> None:
        self._token = token if token is not None else settings.TELEGRAM_BOT_TOKEN
        self._api_url = (api_url or settings.TELEGRAM_API_URL).rstrip("/")
        self._limiter = RateLimiter()

    def _client(self, *, account_key: str, read_timeout: float = 30.0) -> HttpClient:
        # The token is part of the base URL, never of the logged path; `secrets` scrubs echoes of it.
        return HttpClient(
            base_url=f"{self._api_url}/bot{self._token}",
            dialect=DIALECT,
            account_key=account_key,
            secrets=(self._token,),
            limiter=self._limiter,
            timeout=(5.0, read_timeout),
        )

    def _call(
        self,
        method: str,
        body: dict[str, Any],
        *,
        idempotent: bool,
        chat_id: int | None = None,
        read_timeout: float = 30.0,
    ) -> Any:
        limits: tuple[BucketSpec, ...] = ()
        account_key = "telegram"
        if chat_id is not None:
            self._limiter.acquire(key="telegram", spec=GLOBAL_LIMIT)
            account_key = f"telegram:{chat_id}"
            limits = (PER_CHAT_LIMIT,)
        response = self._client(account_key=account_key, read_timeout=read_timeout).request(
            "POST", f"/{method}", idempotent=idempotent, json_body=body, limits=limits, action=method
        )
        payload = body_json_or_none(response)
        if not isinstance(payload, dict) or payload.get("ok") is not True:
            raise errors.UnexpectedResponseError(f"Telegram: unexpected answer to {method}")
        return payload.get("result")

    def get_me(self) -> dict[str, Any]:
        return self._call("getMe", {}, idempotent=True)

    def get_updates(self, *, offset: int, timeout: int = LONG_POLL_SECONDS) -> list[dict[str, Any]]:
        result = self._call(
            "getUpdates",
            {"offset": offset, "timeout": timeout, "allowed_updates": ["message", "callback_query"]},
            idempotent=True,
            read_timeout=timeout + 10.0,
        )
        return [update for update in result or [] if isinstance(update, dict)]

    def send_message(
        self,
        *,
        chat_id: int,
        text: str,
        buttons: list[list[dict[str, str]]] | None = None,
        reply_to_message_id: int | None = None,
    ) -> SentMessage:
        body: dict[str, Any] = {
            "chat_id": chat_id,
            "text": _text_within_limit(text),
            "link_preview_options": {"is_disabled": True},
        }
        if buttons:
            body["reply_markup"] = {"inline_keyboard": buttons}
        if reply_to_message_id is not None:
            body["reply_parameters"] = {
                "message_id": reply_to_message_id,
                "allow_sending_without_reply": True,
            }
        result = self._call("sendMessage", body, idempotent=False, chat_id=chat_id)
        return SentMessage(chat_id=chat_id, message_id=int(result["message_id"]))

    def edit_message_text(
        self, *, chat_id: int, message_id: int, text: str, buttons: list[list[dict[str, str]]] | None = None
    ) -> None:
        body: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "text": _text_within_limit(text),
            "link_preview_options": {"is_disabled": True},
        }
        if buttons:
            body["reply_markup"] = {"inline_keyboard": buttons}
        try:
            self._call("editMessageText", body, idempotent=True, chat_id=chat_id)
        except TelegramNotModifiedError:
            return

    def answer_callback_query(self, *, callback_query_id: str, text: str) -> None:
        self._call(
            "answerCallbackQuery", {"callback_query_id": callback_query_id, "text": text}, idempotent=True
        )

    def set_webhook(self, *, url: str, secret_token: str) -> None:
        self._call(
            "setWebhook",
            {"url": url, "secret_token": secret_token, "allowed_updates": ["message", "callback_query"]},
            idempotent=True,
        )

    def delete_webhook(self) -> None:
        self._call("deleteWebhook", {"drop_pending_updates": False}, idempotent=True)
