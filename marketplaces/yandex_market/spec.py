"""What is particular to Yandex Market, read by the rest of the product through the registry."""

from django.utils.translation import gettext_lazy as _

from marketplaces.spec import (
    MEGABYTE,
    ComplianceRules,
    FileLimits,
    MarketplaceSpec,
    ReplyWindow,
)
from marketplaces.yandex_market.credentials import CREDENTIAL_SCHEMA
from marketplaces.yandex_market.push import push_requests_sync

# ym-partner-api-openapi-bundled-2026-07.yaml, sendMessageToChat (4096 characters) and
# chats/file/send ("Максимальный размер файла — 5 Мбайт", no type limit).
YANDEX_MARKET_SPEC = MarketplaceSpec(
    name="yandex_market",
    label=_("Yandex Market"),
    short_label=_("YM"),
    credential_fields=("api_key", "business_id"),
    text_limit=4096,
    file_limits=FileLimits(
        supported=True, extensions={}, max_bytes=5 * MEGABYTE, max_files=1, text_with_file=False
    ),
    # ChatType / ChatStatusType: an ARBITRAGE chat is a dispute the arbiter answers in; it takes replies
    # until its status is FINISHED, like any chat.
    reply_window=ReplyWindow(
        closed_statuses=frozenset({"FINISHED"}),
        reason=_("Yandex Market: the chat is finished"),
        arbiter_chat_types=frozenset({"ARBITRAGE"}),
        arbiter_notice=_("Arbitration: the arbiter will see the answer"),
    ),
    compliance=ComplianceRules(allowed_domains=("market.yandex.ru",)),
    # Attachments arrive as direct links on the marketplace's own CDN / object storage.
    file_hosts=("yandex.net", "yandex.ru", "yandex.com", "yandexcloud.net"),
    push_route="inbox:webhook-yandex-market",
    sync_interval_seconds=60,
    can_mark_read=False,
    credentials=CREDENTIAL_SCHEMA,
    push_requests_sync=push_requests_sync,
)
