from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.admin_base import TranslatedAdmin, field_column, titled_filter
from inbox.models import Chat, Message, StoredAttachment
from inbox.services.removal import chats_delete, messages_delete


class ReadOnlyAdmin(TranslatedAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = [
        field_column("created_at", _("time")),
        field_column("author", _("author")),
        field_column("direction", _("direction")),
        field_column("text", _("text")),
        field_column("delivery_status", _("delivery")),
        field_column("external_id", _("ID on the marketplace")),
    ]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdmin):
    count_phrase = ngettext_lazy("%(count)d chat", "%(count)d chats", "count")
    field_labels = {
        "account": _("marketplace account"),
        "external_id": _("ID on the marketplace"),
        "kind": _("kind"),
        "snoozed_until": _("snoozed until"),
        "last_message_preview": _("last message text"),
        "last_message_external_id": _("last message ID"),
        "reply_deadline_source": _("deadline set by"),
        "sla_at_risk_at": _("at risk from"),
        "topic": _("topic"),
        "sentiment": _("tone"),
    }
    list_display = [
        "buyer_name",
        field_column("account", _("marketplace account")),
        field_column("kind", _("kind")),
        "order_number",
        "product_sku",
        "status",
        "unread_count",
        "last_message_at",
        "awaiting_reply_since",
    ]
    list_filter = [
        "account__marketplace",
        "status",
        ("kind", titled_filter(_("kind"))),
        ("account", titled_filter(_("account"), admin.RelatedFieldListFilter)),
    ]
    list_select_related = ["account"]
    search_fields = ["buyer_name", "order_number", "product_sku", "external_id", "last_message_preview"]
    date_hierarchy = "last_message_at"
    exclude = ["extras"]
    inlines = [MessageInline]
    show_full_result_count = False

    def delete_model(self, request: HttpRequest, obj: Chat) -> None:
        chats_delete(chat_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        chats_delete(chat_ids=queryset.values_list("pk", flat=True))


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    count_phrase = ngettext_lazy("%(count)d message", "%(count)d messages", "count")
    field_labels = {
        "chat": _("chat"),
        "external_id": _("ID on the marketplace"),
        "direction": _("direction"),
        "author": _("author"),
        "sent_by": _("sent by"),
        "text": _("text"),
        "attachments": _("attachments"),
        "created_at": _("time"),
        "is_read": _("read"),
        "delivery_status": _("delivery"),
        "attempts": _("attempts"),
        "last_error": _("last error"),
        "next_attempt_at": _("next attempt"),
        "sending_started_at": _("sending started"),
        "sent_at": _("sent"),
        "edited_at": _("edited"),
        "last_error_detail": _("marketplace's original error"),
    }
    list_display = [
        field_column("created_at", _("time")),
        field_column("chat", _("chat")),
        field_column("author", _("author")),
        field_column("direction", _("direction")),
        "short_text",
        field_column("delivery_status", _("delivery")),
    ]
    list_filter = [
        ("direction", titled_filter(_("direction"))),
        ("author", titled_filter(_("author"))),
        ("delivery_status", titled_filter(_("delivery"))),
        "chat__account__marketplace",
    ]
    list_select_related = ["chat", "chat__account"]
    search_fields = ["text", "external_id", "chat__buyer_name", "chat__order_number"]
    raw_id_fields = ["chat", "sent_by"]
    show_full_result_count = False

    @admin.display(description=_("text"))
    def short_text(self, obj: Message) -> str:
        return obj.text[:80]

    def delete_model(self, request: HttpRequest, obj: Message) -> None:
        messages_delete(message_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        messages_delete(message_ids=queryset.values_list("pk", flat=True))


@admin.register(StoredAttachment)
class StoredAttachmentAdmin(ReadOnlyAdmin):
    count_phrase = ngettext_lazy("%(count)d stored attachment", "%(count)d stored attachments", "count")
    list_display = ["name", "message", "index", "state", "size", "attempts", "next_try_at", "fetched_at"]
    list_filter = ["state"]
    list_select_related = ["message"]
    raw_id_fields = ["message"]
    show_full_result_count = False
