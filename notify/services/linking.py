"""Linking a Telegram chat to a user with a one-time deep-link token (DESIGN.md §15)."""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from notify.models import NotifyState, TelegramLink, TelegramLinkToken
from notify.telegram import TelegramBot

TOKEN_LIFETIME = timedelta(minutes=15)
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class LinkInvitation:
    url: str
    token: str
    expires_at: datetime


def bot_username_get(*, bot: TelegramBot | None = None) -> str:
    """The bot's @username from getMe, asked once and remembered."""
    state, _created = NotifyState.objects.get_or_create(pk=1)
    if state.bot_username:
        return state.bot_username
    username = str((bot or TelegramBot()).get_me().get("username") or "")
    NotifyState.objects.filter(pk=1).update(bot_username=username)
    return username


def telegram_link_token_create(*, user: AbstractBaseUser, bot: TelegramBot | None = None) -> LinkInvitation:
    now = timezone.now()
    username = bot_username_get(bot=bot)
    # 32 URL-safe characters: within Telegram's 64-character `start` parameter of [A-Za-z0-9_-].
    token = secrets.token_urlsafe(24)
    expires_at = now + TOKEN_LIFETIME
    TelegramLinkToken.objects.create(token=token, user=user, expires_at=expires_at)
    return LinkInvitation(url=f"https://t.me/{username}?start={token}", token=token, expires_at=expires_at)


class LinkRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def telegram_link_redeem(*, token: str, telegram_chat_id: int, telegram_name: str) -> TelegramLink:
    """Link the Telegram chat to the token's user; raises LinkRefused("unknown"|"used"|"expired")."""
    if not TOKEN_PATTERN.match(token):
        raise LinkRefused("unknown")
    now = timezone.now()
    with transaction.atomic():
        claimed = TelegramLinkToken.objects.filter(
            token=token, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not claimed:
            existing = TelegramLinkToken.objects.filter(token=token).first()
            if existing is None:
                raise LinkRefused("unknown")
            raise LinkRefused("used" if existing.used_at else "expired")
        link_token = TelegramLinkToken.objects.select_related("user").get(token=token)
        user = link_token.user
        if not user.is_active:
            raise LinkRefused("unknown")
        # One Telegram chat per user, one user per Telegram chat: a new link replaces both old ones.
        TelegramLink.objects.filter(telegram_chat_id=telegram_chat_id).exclude(user=user).delete()
        link, _created = TelegramLink.objects.update_or_create(
            user=user,
            defaults={
                "telegram_chat_id": telegram_chat_id,
                "telegram_name": telegram_name[:200],
                "blocked_at": None,
                "linked_at": now,
            },
        )
    return link


def telegram_unlink(*, telegram_chat_id: int) -> bool:
    deleted, _rows = TelegramLink.objects.filter(telegram_chat_id=telegram_chat_id).delete()
    return bool(deleted)
