from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from inbox.models import Chat, Message


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["created_at", "author", "direction", "text", "delivery_status", "external_id"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdmin):
    list_display = [
        "buyer_name",
        "account",
        "kind",
        "order_number",
        "product_sku",
        "status",
        "unread_count",
        "last_message_at",
        "awaiting_reply_since",
    ]
    list_filter = ["account__marketplace", "status", "kind", "account"]
    list_select_related = ["account"]
    search_fields = ["buyer_name", "order_number", "product_sku", "external_id", "last_message_preview"]
    date_hierarchy = "last_message_at"
    exclude = ["extras"]
    inlines = [MessageInline]
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "chat", "author", "direction", "short_text", "delivery_status"]
    list_filter = ["direction", "author", "delivery_status", "chat__account__marketplace"]
    list_select_related = ["chat", "chat__account"]
    search_fields = ["text", "external_id", "chat__buyer_name", "chat__order_number"]
    raw_id_fields = ["chat", "sent_by"]
    show_full_result_count = False

    @admin.display(description="text")
    def short_text(self, obj: Message) -> str:
        return obj.text[:80]
