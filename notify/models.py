"""Who gets told what, on which channel, and the outbox that tells each of them exactly once."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    TELEGRAM = "telegram", _("Telegram")
    EMAIL = "email", _("Email")


class Event(models.TextChoices):
    NEW_MESSAGE = "new_message", _("New buyer message")
    SLA_AT_RISK = "sla_at_risk", _("Reply deadline at risk")
    SLA_BREACHED = "sla_breached", _("Reply deadline missed")
    REPLY_FAILED = "reply_failed", _("Reply not delivered")
    SYNC_FAILING = "sync_failing", _("Cabinet sync failing")
    REPLY_OUTCOME = "reply_outcome", _("Outcome of a reply sent from Telegram")
    DAILY_DIGEST = "daily_digest", _("Daily digest")


class TelegramLink(models.Model):
    """One Telegram chat per user: where the bot writes to them and whose replies it accepts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_link"
    )
    telegram_chat_id = models.BigIntegerField(_("Telegram chat"), unique=True)
    telegram_name = models.CharField(_("Telegram name"), max_length=200, blank=True, default="")
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)
    # Set when Telegram answers 403 "bot was blocked by the user": nothing is sent until they link again.
    blocked_at = models.DateTimeField(_("bot blocked"), null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Telegram link")
        verbose_name_plural = _("Telegram links")

    def __str__(self) -> str:
        return self.telegram_name or str(self.telegram_chat_id)


class TelegramLinkToken(models.Model):
    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link token of user {self.user_id}"


class NotificationSettings(models.Model):
    """A user's choices; absent rows mean the defaults of DESIGN.md §15."""

    class NewMessages(models.TextChoices):
        ALL = "all", _("All chats of my cabinets")
        MINE = "mine", _("Unassigned and assigned to me")
        OFF = "off", _("Off")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    telegram_new_messages = models.CharField(
        _("Telegram: new buyer messages"), max_length=8, choices=NewMessages.choices, default=NewMessages.MINE
    )
    telegram_sla = models.BooleanField(_("Telegram: reply deadlines"), default=True)
    telegram_reply_failed = models.BooleanField(_("Telegram: my reply not delivered"), default=True)
    telegram_sync_failing = models.BooleanField(_("Telegram: cabinet sync failing"), default=True)
    email_new_messages = models.CharField(
        _("Email: new buyer messages"), max_length=8, choices=NewMessages.choices, default=NewMessages.OFF
    )
    email_sla = models.BooleanField(_("Email: reply deadlines"), default=False)
    email_reply_failed = models.BooleanField(_("Email: my reply not delivered"), default=False)
    email_sync_failing = models.BooleanField(_("Email: cabinet sync failing"), default=False)
    email_daily_digest = models.BooleanField(_("Email: daily digest"), default=False)
    browser_enabled = models.BooleanField(_("Browser: desktop notifications"), default=True)
    browser_sound = models.BooleanField(_("Browser: sound"), default=False)
    # Local times in `timezone`; equal or empty means no quiet hours.
    quiet_hours_start = models.TimeField(_("Quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("Quiet hours until"), null=True, blank=True)
    timezone = models.CharField(_("Time zone"), max_length=64, default="Europe/Moscow")

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"notification settings of user {self.user_id}"


class Notification(models.Model):
    """The outbox: one row per (event, recipient, channel), so nobody is told the same thing twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        COALESCED = "coalesced", _("merged into an earlier alert")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    event_key = models.CharField(max_length=200)
    event = models.CharField(max_length=20, choices=Event.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    chat = models.ForeignKey("inbox.Chat", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    message = models.ForeignKey(
        "inbox.Message", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        "accounts.MarketplaceAccount", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    # The Telegram message that carries this alert (a coalesced row points at the alert it edited).
    telegram_message_id = models.BigIntegerField(null=True, blank=True)
    telegram_chat_id = models.BigIntegerField(null=True, blank=True)
    # Text of the reply for REPLY_OUTCOME rows, and what an edited alert shows.
    text = models.TextField(blank=True, default="")
    coalesced_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient", "channel"], name="notification_once_per_recipient"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="notification_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(
                fields=["telegram_chat_id", "telegram_message_id"], name="notification_telegram_msg_idx"
            ),
            models.Index(fields=["recipient", "chat", "event", "-sent_at"], name="notification_coalesce_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id} ({self.channel})"


class TelegramReply(models.Model):
    """A reply typed in Telegram: the update it came from, so a redelivered update never sends twice."""

    update_id = models.BigIntegerField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    telegram_chat_id = models.BigIntegerField()
    telegram_message_id = models.BigIntegerField()
    message = models.ForeignKey("inbox.Message", on_delete=models.SET_NULL, null=True, related_name="+")
    outcome_told = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], name="telegramreply_open_idx", condition=Q(outcome_told=False)
            )
        ]

    def __str__(self) -> str:
        return f"Telegram update {self.update_id}"


class NotifyState(models.Model):
    """Singleton row (pk=1): scan positions and the bot-wide pause after a Telegram 429."""

    last_message_id = models.BigIntegerField(default=0)
    telegram_update_offset = models.BigIntegerField(default=0)
    telegram_paused_until = models.DateTimeField(null=True, blank=True)
    # One getUpdates at a time across processes (Telegram answers 409 to a second concurrent poller).
    telegram_poller_until = models.DateTimeField(null=True, blank=True)
    # What setWebhook was last given: the URL, and a keyed hash of the secret (never the secret itself).
    telegram_webhook_url = models.CharField(max_length=500, blank=True, default="")
    telegram_webhook_secret_hash = models.CharField(max_length=64, blank=True, default="")
    bot_username = models.CharField(max_length=100, blank=True, default="")

    def __str__(self) -> str:
        return "notification state"
