"""The one place that maps a marketplace name to its connector."""

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from marketplaces import errors
from marketplaces.base import Connector
from marketplaces.ozon import OzonConnector
from marketplaces.ratelimit import RateLimiter
from marketplaces.spec import MEGABYTE, ComplianceRules, FileLimits, MarketplaceSpec, ReplyWindow
from marketplaces.types import AccountInfo
from marketplaces.wildberries import WildberriesConnector
from marketplaces.yandex_market import YandexMarketConnector

if TYPE_CHECKING:
    from accounts.models import MarketplaceAccount

WILDBERRIES = "wildberries"
OZON = "ozon"
YANDEX_MARKET = "yandex_market"

# wb-09-communications-2026-07.yaml, POST /api/v1/seller/message: "Текст сообщения. Максимум 1000 символов";
# multipart `file`: "JPEG, PDF или PNG, максимальный размер — 5 Мб"; text and file travel in one request.
WILDBERRIES_SPEC = MarketplaceSpec(
    name=WILDBERRIES,
    label=_("Wildberries"),
    short_label=_("WB"),
    credential_fields=("token",),
    text_limit=1000,
    file_limits=FileLimits(
        supported=True,
        extensions={
            ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg",
            ".png": "image/png",
            ".pdf": "application/pdf",
        },
        max_bytes=5 * MEGABYTE,
        max_files=1,
        text_with_file=True,
    ),
    # PATCH /api/v1/questions takes text only.
    kinds_without_files=frozenset({"question"}),
    # PATCH /api/v1/questions replaces the question's one answer.
    single_answer_kinds=frozenset({"question"}),
    answer_within=timedelta(days=10),
    answer_within_reason=_("Wildberries: a buyer must be answered within 10 days"),
    compliance=ComplianceRules(allowed_domains=("wildberries.ru", "wb.ru"), forbids_one_word=True),
    push_route=None,
    # Events feed: 10 requests / 10 s; an idle cycle costs one call.
    sync_interval_seconds=10,
)
# ozon-chat-push-subset-2026-10-derived.json, /v1/chat/send/message (1000 characters) and /v1/chat/send/file:
# one file per request, no documented type or size limit; the 5 MB cap is ours.
OZON_SPEC = MarketplaceSpec(
    name=OZON,
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
    push_route="inbox:webhook-ozon",
    sync_interval_seconds=60,
)
# ym-partner-api-openapi-bundled-2026-07.yaml, sendMessageToChat (4096 characters) and
# chats/file/send ("Максимальный размер файла — 5 Мбайт", no type limit).
YANDEX_MARKET_SPEC = MarketplaceSpec(
    name=YANDEX_MARKET,
    label=_("Yandex Market"),
    short_label=_("YM"),
    credential_fields=("api_key", "business_id"),
    text_limit=4096,
    file_limits=FileLimits(
        supported=True, extensions={}, max_bytes=5 * MEGABYTE, max_files=1, text_with_file=False
    ),
    reply_window=ReplyWindow(
        closed_statuses=frozenset({"FINISHED"}),
        reason=_("Yandex Market: the chat is finished"),
    ),
    compliance=ComplianceRules(allowed_domains=("market.yandex.ru",)),
    push_route="inbox:webhook-yandex-market",
    sync_interval_seconds=60,
)
MARKETPLACE_SPECS: dict[str, MarketplaceSpec] = {
    spec.name: spec for spec in (WILDBERRIES_SPEC, OZON_SPEC, YANDEX_MARKET_SPEC)
}


def spec_for(marketplace: str) -> MarketplaceSpec:
    """The spec of a marketplace by its name; KeyError for a name we do not know."""
    return MARKETPLACE_SPECS[marketplace]


def marketplace_specs() -> tuple[MarketplaceSpec, ...]:
    return tuple(MARKETPLACE_SPECS.values())


def build_connector(*, marketplace: str, credentials: dict[str, Any], account_key: str) -> Connector:
    """A connector for raw credentials; `account_key` scopes rate limits (use the account id when known)."""
    limiter = RateLimiter()
    if marketplace == WILDBERRIES:
        return WildberriesConnector(
            token=_field(credentials, "token"),
            account_key=account_key,
            chat_api_url=settings.WILDBERRIES_CHAT_API_URL,
            feedbacks_api_url=settings.WILDBERRIES_FEEDBACKS_API_URL,
            limiter=limiter,
        )
    if marketplace == OZON:
        return OzonConnector(
            client_id=_field(credentials, "client_id"),
            api_key=_field(credentials, "api_key"),
            account_key=account_key,
            api_url=settings.OZON_API_URL,
            limiter=limiter,
        )
    if marketplace == YANDEX_MARKET:
        return YandexMarketConnector(
            api_key=_field(credentials, "api_key"),
            business_id=_field(credentials, "business_id"),
            account_key=account_key,
            api_url=settings.YANDEX_MARKET_API_URL,
            limiter=limiter,
        )
    raise NotImplementedError(f"No connector for {marketplace}")


def _field(credentials: dict[str, Any], name: str) -> str:
    value = credentials.get(name) if isinstance(credentials, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise errors.AuthError(f"В учётных данных не заполнено поле «{name}»")
    return value.strip()


def get_connector(account: "MarketplaceAccount") -> Connector:
    return build_connector(
        marketplace=account.marketplace,
        credentials=account.credentials,
        account_key=f"{account.marketplace}:{account.pk}",
    )


def credentials_check(*, marketplace: str, credentials: dict[str, Any]) -> AccountInfo | None:
    """Verify credentials against the marketplace; None while no connector exists for it."""
    try:
        connector = build_connector(
            marketplace=marketplace, credentials=credentials, account_key=f"{marketplace}:check"
        )
    except NotImplementedError:
        return None
    return connector.check_credentials()
