"""`POST /api/chat/me/telegram-link` and `GET|PATCH /api/chat/me/notifications` (DESIGN.md §9b)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplaces import errors
from notify.models import NotificationSettings, TelegramLink
from notify.services.linking import telegram_link_token_create
from notify.services.preferences import notification_settings_get, notification_settings_update
from notify.telegram import telegram_configured

# API shape -> model field, per channel.
SHAPE = {
    "telegram": {
        "new_messages": "telegram_new_messages",
        "sla": "telegram_sla",
        "reply_failed": "telegram_reply_failed",
        "sync_failing": "telegram_sync_failing",
    },
    "email": {
        "new_messages": "email_new_messages",
        "sla": "email_sla",
        "reply_failed": "email_reply_failed",
        "sync_failing": "email_sync_failing",
        "daily_digest": "email_daily_digest",
    },
    "browser": {"enabled": "browser_enabled", "sound": "browser_sound"},
    "quiet_hours": {"start": "quiet_hours_start", "end": "quiet_hours_end", "timezone": "timezone"},
}


def _settings_payload(*, user: Any, current: NotificationSettings) -> dict[str, Any]:
    link = TelegramLink.objects.filter(user=user).first()
    payload: dict[str, Any] = {}
    for group, fields in SHAPE.items():
        payload[group] = {}
        for key, field in fields.items():
            value = getattr(current, field)
            payload[group][key] = value.strftime("%H:%M") if hasattr(value, "strftime") else value
    payload["telegram"].update(
        configured=telegram_configured(),
        linked=link is not None,
        name=link.telegram_name if link else "",
        blocked=bool(link and link.blocked_at),
    )
    payload["email"]["address"] = user.email
    return payload


class TelegramLinkApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            201: inline_serializer(
                "TelegramLink",
                {
                    "url": serializers.URLField(),
                    "token": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(),
                },
            )
        },
    )
    def post(self, request: Request) -> Response:
        if not telegram_configured():
            return Response({"detail": _("Telegram is not configured on this server.")}, status=503)
        try:
            invitation = telegram_link_token_create(user=request.user)
        except errors.MarketplaceError:
            return Response(
                {"detail": _("Telegram could not be reached. Try again in a minute.")}, status=503
            )
        return Response(
            {"url": invitation.url, "token": invitation.token, "expires_at": invitation.expires_at},
            status=status.HTTP_201_CREATED,
        )


class NotificationSettingsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        current = notification_settings_get(user=request.user)
        return Response(_settings_payload(user=request.user, current=current))

    @extend_schema(request=dict, responses={200: dict})
    def patch(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        changes: dict[str, object] = {}
        problems: dict[str, Any] = {}
        for group, values in body.items():
            if group not in SHAPE or not isinstance(values, dict):
                problems[group] = [_("Unknown setting.")]
                continue
            for key, value in values.items():
                if key not in SHAPE[group]:
                    problems[f"{group}.{key}"] = [_("This setting cannot be changed.")]
                    continue
                changes[SHAPE[group][key]] = value
        if problems:
            return Response(problems, status=400)
        try:
            current = notification_settings_update(user=request.user, changes=changes)
        except ValidationError as exc:
            reverse_names = {
                field: f"{group}.{key}" for group, fields in SHAPE.items() for key, field in fields.items()
            }
            return Response(
                {reverse_names.get(name, name): messages for name, messages in exc.message_dict.items()},
                status=400,
            )
        return Response(_settings_payload(user=request.user, current=current))
