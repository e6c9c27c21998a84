"""API shapes. Thin: validation of business rules lives in services, reads in selectors."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Marketplace, MarketplaceAccount, SyncState
from inbox.models import Chat, Message
from inbox.replies.create import reply_text_limit
from inbox.replies.files import reply_file_limits_for
from inbox.selectors import chat_reply_block, chat_sla_state_effective
from inbox.snooze import chat_snooze_active, chat_status_effective


class SyncStateSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncState
        fields = [
            "last_attempt_at",
            "last_success_at",
            "consecutive_failures",
            "last_error",
            "rate_limited_until",
            "capability_notes",
        ]
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    marketplace = serializers.ChoiceField(choices=Marketplace.choices)
    credentials = serializers.JSONField(write_only=True, help_text="Never returned.")
    check = serializers.BooleanField(
        write_only=True, default=True, help_text="Verify the credentials with the marketplace first."
    )
    sync = SyncStateSerializer(source="sync_state", read_only=True, allow_null=True)

    class Meta:
        model = MarketplaceAccount
        fields = [
            "id",
            "name",
            "marketplace",
            "external_id",
            "is_active",
            "created_at",
            "sync",
            "credentials",
            "check",
        ]
        read_only_fields = ["id", "external_id", "is_active", "created_at", "sync"]


class ProductSerializer(serializers.Serializer):
    sku = serializers.CharField(source="product_sku")
    title = serializers.CharField(source="product_title")
    url = serializers.CharField(source="product_url")


class FileLimitsSerializer(serializers.Serializer):
    supported = serializers.BooleanField(help_text="Whether a reply in this chat may carry a file.")
    extensions = serializers.ListField(
        child=serializers.CharField(), help_text='Allowed extensions, e.g. ".pdf"; empty: any type.'
    )
    max_bytes = serializers.IntegerField()
    max_files = serializers.IntegerField(help_text="Files per reply.")


class ChatSerializer(serializers.ModelSerializer):
    marketplace = serializers.CharField(source="account.marketplace", read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    product = ProductSerializer(source="*", read_only=True)
    assignee = serializers.IntegerField(source="assignee_id", read_only=True, allow_null=True)
    status = serializers.SerializerMethodField()
    snoozed_until = serializers.SerializerMethodField()
    reply_length_limit = serializers.SerializerMethodField()
    file_limits = serializers.SerializerMethodField()

    class Meta:
        model = Chat
        fields = [
            "id",
            "marketplace",
            "account",
            "account_name",
            "external_id",
            "kind",
            "buyer_name",
            "order_number",
            "product",
            "marketplace_status",
            "status",
            "snoozed_until",
            "unread_count",
            "last_message_at",
            "last_message_preview",
            "awaiting_reply_since",
            "reply_deadline",
            "reply_window_closes_at",
            "can_reply",
            "sla_state",
            "assignee",
            "topic",
            "sentiment",
            "reply_length_limit",
            "file_limits",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Chat) -> dict:
        """`can_reply` and `sla_state` as the send endpoint decides now: the stored values wait for the
        minute task after a reply window closes."""
        data = super().to_representation(instance)
        now = timezone.now()
        data["can_reply"] = chat_reply_block(chat=instance, now=now) is None
        data["sla_state"] = chat_sla_state_effective(chat=instance, now=now)
        return data

    def get_reply_length_limit(self, chat: Chat) -> int:
        return reply_text_limit(chat=chat)

    @extend_schema_field(FileLimitsSerializer)
    def get_file_limits(self, chat: Chat) -> dict:
        limits = reply_file_limits_for(chat=chat)
        return {
            "supported": limits.supported,
            "extensions": list(limits.extensions),
            "max_bytes": limits.max_bytes,
            "max_files": limits.max_files,
        }

    @extend_schema_field(serializers.ChoiceField(choices=Chat.Status.choices))
    def get_status(self, chat: Chat) -> str:
        """A snooze that has passed reads "open", as in the inbox, before the wake-up task stores it."""
        return chat_status_effective(chat=chat)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_snoozed_until(self, chat: Chat) -> str | None:
        if not chat_snooze_active(chat=chat):
            return None
        return serializers.DateTimeField().to_representation(chat.snoozed_until)


class ChatUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[Chat.Status.OPEN, Chat.Status.RESOLVED, Chat.Status.SNOOZED], required=False
    )
    snoozed_until = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text='With status "snoozed" (then required): when the chat comes back, in the future.',
    )
    assignee = serializers.IntegerField(
        required=False, allow_null=True, help_text="User id of a member of the account, or null."
    )

    def validate(self, data: dict) -> dict:
        # Whether the time is given and in the future is the service's rule (the web form shares it).
        if "snoozed_until" in data and data.get("status") != Chat.Status.SNOOZED:
            raise serializers.ValidationError(
                {"snoozed_until": [_("Send it together with the status “snoozed”.")]}
            )
        return data


class MessageSerializer(serializers.ModelSerializer):
    sent_by = serializers.IntegerField(source="sent_by_id", read_only=True, allow_null=True)
    failure_reason = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "external_id",
            "direction",
            "author",
            "text",
            "attachments",
            "created_at",
            "is_read",
            "delivery_status",
            "failure_reason",
            "edited_at",
            "sent_by",
        ]
        read_only_fields = fields

    def get_failure_reason(self, message: Message) -> str:
        return message.last_error if message.delivery_status == Message.DeliveryStatus.FAILED else ""


class SendSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, default="", allow_blank=True, trim_whitespace=False)
    idempotency_key = serializers.UUIDField(
        required=False, help_text="Repeat a request with the same key and the reply is queued only once."
    )
    template = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="A template whose file should travel with this reply (when no file is uploaded).",
    )
    override_warnings = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Send although the pre-send check only warns (recorded with the user); "
        "never lifts a block.",
    )


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as a multipart part (drf-spectacular would describe a plain FileField as a URI)."""


class SendFileSerializer(SendSerializer):
    """The multipart/form-data form of a send: one file, the text optional. Only for the schema: the
    file itself is checked by the service against the chat's `file_limits`."""

    file = UploadField(
        help_text="One file within the chat's `file_limits`. On Ozon and Yandex Market a file is a "
        "message of its own: with a text, two messages are queued (the text first) and the one with "
        "the file is returned."
    )


class ChatPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = ChatSerializer(many=True)


class MessagePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = MessageSerializer(many=True)
