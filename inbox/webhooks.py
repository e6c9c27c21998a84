"""Push receivers for Ozon and Yandex Market.

A push only tells us "something changed": we mark the account due and enqueue a sync after commit,
then answer at once. The marketplace is never called inside the request, duplicates are harmless,
and polling stays on as the safety net (pushes can be late, lost or switched off).

Neither marketplace signs its pushes. Protection: an unguessable per-account URL and, optionally,
the published source ranges in WEBHOOK_ALLOWED_NETWORKS, e.g.
  Ozon            195.34.21.0/24, 185.73.192.0/22, 91.223.93.0/24   (API_REFERENCE §2.5)
  Yandex Market   5.45.207.0/25, 141.8.142.0/25, 5.255.253.0/25     (API_REFERENCE §3.5)
"""

import ipaddress
import json
import logging
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import MarketplaceAccount
from inbox.sync import account_mark_due
from marketplaces.ozon.spec import OZON_SPEC
from marketplaces.spec import MarketplaceSpec
from marketplaces.yandex_market.spec import YANDEX_MARKET_SPEC

logger = logging.getLogger(__name__)

APP_NAME = "Chat Center"
APP_VERSION = "1.0.0"


class PushRejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@cache
def _allowed_networks(raw: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in raw if item.strip())


def client_address(*, request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind our own proxy (DJANGO_BEHIND_PROXY) the address that proxy appended."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def source_allowed(*, request: HttpRequest) -> bool:
    networks = _allowed_networks(tuple(settings.WEBHOOK_ALLOWED_NETWORKS))
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(client_address(request=request))
    except ValueError:
        return False
    return any(address in network for network in networks)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _identity(started: datetime) -> dict[str, str]:
    return {"version": APP_VERSION, "name": APP_NAME, "time": _timestamp(started)}


def _payload(*, request: HttpRequest, wrong_format: str) -> dict[str, Any]:
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise PushRejected(415, wrong_format, "Ожидается Content-Type: application/json")
    if not request.body:
        raise PushRejected(400, wrong_format, "Пустое тело запроса")
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise PushRejected(400, wrong_format, "Тело запроса — не JSON") from None
    if not isinstance(payload, dict):
        raise PushRejected(400, wrong_format, "Ожидается JSON-объект")
    return payload


def _account(*, spec: MarketplaceSpec, secret: str) -> MarketplaceAccount | None:
    return (
        MarketplaceAccount.objects.filter(marketplace=spec.name, webhook_secret=secret)
        .only("pk", "is_active")
        .first()
    )


def _requests_sync(*, spec: MarketplaceSpec, payload: dict[str, Any]) -> bool:
    """The marketplace package reads its own push shapes (chat types, event names)."""
    hook = spec.push_requests_sync
    return hook is not None and hook(payload)


def _ozon_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": None}}, status=status)


@csrf_exempt
@require_POST
def ozon_push(request: HttpRequest, secret: str) -> JsonResponse:
    started = datetime.now(UTC)
    if not source_allowed(request=request):
        return _ozon_error(403, "ERROR_UNKNOWN", "Адрес отправителя не в списке разрешённых")
    account = _account(spec=OZON_SPEC, secret=secret)
    if account is None:
        return _ozon_error(404, "ERROR_UNKNOWN", "Неизвестный адрес")
    try:
        payload = _payload(request=request, wrong_format="ERROR_UNKNOWN")
        message_type = payload.get("message_type")
        if not isinstance(message_type, str) or not message_type:
            raise PushRejected(400, "ERROR_PARAMETER_VALUE_MISSED", "Нет поля message_type")
    except PushRejected as rejected:
        return _ozon_error(rejected.status, rejected.code, rejected.message)
    if message_type == "TYPE_PING":
        return JsonResponse(_identity(started))
    if _requests_sync(spec=OZON_SPEC, payload=payload) and account.is_active:
        account_mark_due(account_id=account.pk, reason="push")
    return JsonResponse({"result": True})


def _yandex_market_error(status: int, kind: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"type": kind, "message": message}}, status=status)


@csrf_exempt
@require_POST
def yandex_market_push(request: HttpRequest, secret: str) -> JsonResponse:
    started = datetime.now(UTC)
    if not source_allowed(request=request):
        return _yandex_market_error(403, "UNKNOWN", "Адрес отправителя не в списке разрешённых")
    account = _account(spec=YANDEX_MARKET_SPEC, secret=secret)
    if account is None:
        return _yandex_market_error(404, "UNKNOWN", "Неизвестный адрес")
    try:
        payload = _payload(request=request, wrong_format="WRONG_EVENT_FORMAT")
        notification_type = payload.get("notificationType")
        if not isinstance(notification_type, str) or not notification_type:
            raise PushRejected(400, "WRONG_EVENT_FORMAT", "Нет поля notificationType")
    except PushRejected as rejected:
        return _yandex_market_error(
            400 if rejected.status == 415 else rejected.status, rejected.code, rejected.message
        )
    if _requests_sync(spec=YANDEX_MARKET_SPEC, payload=payload) and account.is_active:
        account_mark_due(account_id=account.pk, reason="push")
    return JsonResponse(_identity(started))
