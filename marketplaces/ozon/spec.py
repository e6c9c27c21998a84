"""What is particular to Ozon, read by the rest of the product through the registry."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from marketplaces.ozon.credentials import CREDENTIAL_SCHEMA
from marketplaces.ozon.push import push_requests_sync
from marketplaces.spec import (
    MEGABYTE,
    ComplianceRules,
    FileLimits,
    MarketplaceSpec,
    ReplyWindow,
)

# ozon-chat-push-subset-2026-10-derived.json, /v1/chat/send/message (1000 characters) and /v1/chat/send/file:
# one file per request, no documented type or size limit; the 5 MB cap is ours.
OZON_SPEC = MarketplaceSpec(
    name="ozon",
    label=_("Ozon"),
    short_label=_("Ozon"),
    credential_fields=("client_id", "api_key"),
    text_limit=1000,
    file_limits=FileLimits(
        supported=True,
        extensions={},
        max_bytes=5 * MEGABYTE,
        max_files=1,
        text_with_file=False,
        needs_extension=True,
    ),
    reply_window=ReplyWindow(
        after_buyer_message=timedelta(hours=48),
        reason=_("Ozon: 48 h after the buyer's last message"),
    ),
    compliance=ComplianceRules(allowed_domains=("ozon.ru",)),
    # Attachments arrive as direct links on the marketplace's own CDN / object storage.
    file_hosts=("ozon.ru", "ozone.ru", "ozonusercontent.com"),
    push_route="inbox:webhook-ozon",
    sync_interval_seconds=60,
    can_mark_read=True,
    credentials=CREDENTIAL_SCHEMA,
    push_requests_sync=push_requests_sync,
)
