import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import MarketplaceAccount
from assist.classify.labels import Sentiment, Topic

# 0 for a negative chat, 1 otherwise: ordering by it, then by activity, puts negative chats first.
NEGATIVE_LAST_RANK = Case(When(sentiment="negative", then=Value(0)), default=Value(1))


class Chat(models.Model):
    class Kind(models.TextChoices):
        CHAT = "chat", _("chat")
        QUESTION = "question", _("question")

    class SlaState(models.TextChoices):
        NONE = "none", _("no open turn")
        OK = "ok", _("on time")
        AT_RISK = "at_risk", _("at risk")
        BREACHED = "breached", _("breached")
        CLOSED = "closed", _("reply window closed")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")
        SNOOZED = "snoozed", _("snoozed")

    account = models.ForeignKey(MarketplaceAccount, on_delete=models.CASCADE, related_name="chats")
    external_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHAT)
    buyer_name = models.CharField(_("buyer"), max_length=200, blank=True, default="")
    order_number = models.CharField(_("order"), max_length=100, blank=True, default="")
    product_sku = models.CharField(_("SKU"), max_length=100, blank=True, default="")
    product_title = models.CharField(_("product"), max_length=500, blank=True, default="")
    product_url = models.URLField(_("product link"), max_length=500, blank=True, default="")
    marketplace_status = models.CharField(_("marketplace status"), max_length=64, blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_chats",
        verbose_name=_("assignee"),
    )
    unread_count = models.PositiveIntegerField(_("unread"), default=0)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_message_preview = models.CharField(max_length=300, blank=True, default="")
    last_message_external_id = models.CharField(max_length=128, blank=True, default="")
    awaiting_reply_since = models.DateTimeField(_("awaiting reply since"), null=True, blank=True)
    reply_deadline = models.DateTimeField(_("reply deadline"), null=True, blank=True)
    # Deadlines and SLA (DESIGN.md §13), kept by service.deadlines.chat_deadlines_refresh.
    reply_deadline_source = models.CharField(max_length=16, blank=True, default="")
    reply_window_closes_at = models.DateTimeField(_("reply window closes at"), null=True, blank=True)
    can_reply = models.BooleanField(_("can reply"), default=True)
    sla_state = models.CharField(
        _("SLA state"), max_length=16, choices=SlaState.choices, default=SlaState.NONE
    )
    # When an "ok" chat becomes "at risk": lets the periodic task find the chats whose state moves.
    sla_at_risk_at = models.DateTimeField(null=True, blank=True)
    extras = models.JSONField(default=dict, blank=True)
    # From the chat's latest classified buyer message (DESIGN.md §16); NULL until one is classified.
    topic = models.CharField(  # noqa: DJ001
        pgettext_lazy("message topic", "topic"), max_length=16, choices=Topic.choices, null=True, blank=True
    )
    sentiment = models.CharField(  # noqa: DJ001
        pgettext_lazy("message tone", "tone"), max_length=16, choices=Sentiment.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        permissions = [("view_all_chats", _("Can view the chats of every account"))]
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="chat_account_external_id_uniq"),
        ]
        indexes = [
            models.Index(fields=["account", "-last_message_at", "-id"], name="chat_account_activity_idx"),
            models.Index(fields=["-last_message_at", "-id"], name="chat_activity_idx"),
            models.Index(
                fields=["account", "-last_message_at", "-id"],
                name="chat_unread_activity_idx",
                condition=Q(unread_count__gt=0),
            ),
            models.Index(
                fields=["awaiting_reply_since", "id"],
                name="chat_awaiting_idx",
                condition=Q(awaiting_reply_since__isnull=False),
            ),
            models.Index(fields=["assignee", "-last_message_at"], name="chat_assignee_activity_idx"),
            # Covers the tab counts (open / unread per account) so they never read the chat rows.
            models.Index(
                fields=["account", "status", "unread_count", "snoozed_until"], name="chat_account_counts_idx"
            ),
            # The every-minute snooze wake-up reads only snoozed chats.
            models.Index(
                fields=["snoozed_until"], name="chat_snoozed_until_idx", condition=Q(status="snoozed")
            ),
            models.Index(fields=["order_number"], name="chat_order_number_idx"),
            # "Срок ответа" sort (soonest first) and the "at risk" / "breached" filters.
            models.Index(
                fields=["reply_deadline", "id"],
                name="chat_reply_deadline_idx",
                condition=Q(reply_deadline__isnull=False),
            ),
            models.Index(
                fields=["sla_state", "reply_deadline", "id"],
                name="chat_sla_state_idx",
                condition=Q(sla_state__in=["ok", "at_risk", "breached", "closed"]),
            ),
            models.Index(
                fields=["reply_window_closes_at"],
                name="chat_reply_window_idx",
                condition=Q(can_reply=True, reply_window_closes_at__isnull=False),
            ),
            models.Index(fields=["product_sku"], name="chat_product_sku_idx"),
            models.Index(
                fields=["topic", "-last_message_at", "-id"],
                name="chat_topic_activity_idx",
                condition=Q(topic__isnull=False),
            ),
            models.Index(
                fields=["sentiment", "-last_message_at", "-id"],
                name="chat_sentiment_activity_idx",
                condition=Q(sentiment__isnull=False),
            ),
            # The "negative first" sort (inbox.selectors.NEGATIVE_FIRST uses the same expression).
            models.Index(
                NEGATIVE_LAST_RANK,
                F("last_message_at").desc(),
                F("id").desc(),
                name="chat_negative_first_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.buyer_name or self.external_id}"


class AccountChangeCounter(models.Model):
    """How many times the chats of an account have been written: database triggers (migration 0014) bump
    it in the same transaction as every insert, update and delete of a chat row, whatever wrote it (the
    ORM, bulk ingest, raw SQL). A list poll compares it and answers "nothing new" without reading chats;
    the row lock it takes orders the bumps as the transactions commit, so no change can hide behind a
    later one."""

    account = models.OneToOneField(
        MarketplaceAccount,
        on_delete=models.CASCADE,
        primary_key=True,
        # The triggers write it; a constraint would make deleting an account order-dependent.
        db_constraint=False,
        related_name="change_counter",
    )
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("chat change counter")
        verbose_name_plural = _("chat change counters")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.version}"


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("incoming")
        OUT = "out", _("outgoing")

    class Author(models.TextChoices):
        BUYER = "buyer", _("buyer")
        SELLER = "seller", _("seller")
        MARKETPLACE = "marketplace", _("marketplace")
        SUPPORT = "support", _("support")

    class DeliveryStatus(models.TextChoices):
        NONE = "", _("—")
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        UNKNOWN = "unknown", _("unknown")

    # Unindexed on its own: the (chat, external_id) and thread indexes both start with chat_id.
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages", db_index=False)
    # NULL (not "") until the echo is matched: the unique (chat, external_id) constraint ignores NULLs.
    external_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    direction = models.CharField(max_length=3, choices=Direction.choices)
    author = models.CharField(max_length=16, choices=Author.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    text = models.TextField(blank=True, default="")
    attachments = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(db_index=False)
    inserted_at = models.DateTimeField(auto_now_add=True)
    is_read = models.BooleanField(default=False)
    delivery_status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, blank=True, default=DeliveryStatus.NONE
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Shown to the agent (in the product's language); the marketplace's own words go to the detail.
    last_error = models.TextField(blank=True, default="")
    last_error_detail = models.TextField(blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    # When the marketplace accepted our reply (send receipt or matched echo).
    sent_at = models.DateTimeField(null=True, blank=True)
    # A reply replaced the one answer of its chat (WB questions): when the marketplace took the new text.
    edited_at = models.DateTimeField(null=True, blank=True)
    # Our replies get one; marketplace messages are stored without, so the ingest hot path does not
    # generate and index a random key per row (the unique constraint below covers non-NULL keys only).
    idempotency_key = models.UUIDField(default=uuid.uuid4, null=True, blank=True, editable=False)
    # Buyer messages only, set in the background by assist.classify (DESIGN.md §16).
    topic = models.CharField(  # noqa: DJ001
        pgettext_lazy("message topic", "topic"), max_length=16, choices=Topic.choices, null=True, blank=True
    )
    sentiment = models.CharField(  # noqa: DJ001
        pgettext_lazy("message tone", "tone"), max_length=16, choices=Sentiment.choices, null=True, blank=True
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["chat", "external_id"], name="message_chat_external_id_uniq"),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                name="message_idempotency_key_uniq",
                condition=Q(idempotency_key__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["chat", "created_at", "id"], name="message_chat_thread_idx"),
            models.Index(
                fields=["delivery_status", "next_attempt_at"],
                name="message_outbox_idx",
                condition=Q(delivery_status__in=["pending", "sending", "unknown"]),
            ),
            # Reconciliation looks up our replies whose marketplace echo has not been matched yet.
            models.Index(
                fields=["chat", "created_at"],
                name="message_unmatched_reply_idx",
                condition=Q(direction="out", external_id__isnull=True),
            ),
            models.Index(fields=["sent_by"], name="message_sent_by_idx", condition=Q(sent_by__isnull=False)),
            # The notifier tells senders about failed replies; failures are rare, so the index stays tiny.
            models.Index(
                fields=["inserted_at"], name="message_failed_idx", condition=Q(delivery_status="failed")
            ),
            # "Похожие ответы" walk the team's answers newest first and check each against the query.
            models.Index(
                fields=["-created_at", "-id"], name="message_answers_recent_idx", condition=Q(author="seller")
            ),
            # The classifier picks unclassified buyer messages newest first from this small index only.
            models.Index(
                fields=["-created_at", "-id"],
                name="message_unclassified_idx",
                condition=Q(direction="in", author="buyer", topic__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.external_id or self.pk}"


class OutgoingFile(models.Model):
    """The file of a reply, kept in the database so it commits (or rolls back) with its outbox row and
    any worker on any host can deliver it."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outgoing_file")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outgoing file")
        verbose_name_plural = _("outgoing files")

    def __str__(self) -> str:
        return self.name


def stored_attachment_path(instance: "StoredAttachment", filename: str) -> str:
    # Never the buyer's file name in a path: it is shown from `name`, the path only has to be unique.
    return f"attachments/{instance.message_id}/{instance.index}-{instance.sha256[:16]}"


class StoredAttachment(models.Model):
    """A marketplace attachment fetched once and kept in Django storage, with its fetch state.

    Absent row: never asked for. `next_try_at` in the future: nobody asks the marketplace before then
    (backoff after a failure, WB moderation, or another request fetching it right now).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("not fetched yet")
        STORED = "stored", _("stored")
        MODERATION = "moderation", _("in moderation")
        REJECTED = "rejected", _("rejected in moderation")
        FAILED = "failed", _("fetch failed")

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="stored_attachments", verbose_name=_("message")
    )
    index = models.PositiveSmallIntegerField(_("attachment number"))
    remote_id = models.CharField(_("marketplace file ID"), max_length=255, blank=True, default="")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    file = models.FileField(_("file"), upload_to=stored_attachment_path, max_length=255, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True, default="")
    content_type = models.CharField(_("content type"), max_length=100, blank=True, default="")
    size = models.PositiveIntegerField(_("size"), default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("fetch attempts"), default=0)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    fetched_at = models.DateTimeField(_("fetched"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stored attachment")
        verbose_name_plural = _("stored attachments")
        constraints = [
            models.UniqueConstraint(fields=["message", "index"], name="stored_attachment_message_index_uniq")
        ]

    def __str__(self) -> str:
        return self.name or f"{self.message_id}/{self.index}"
