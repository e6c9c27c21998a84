"""The one place that maps a marketplace name to its connector."""

from typing import TYPE_CHECKING, Any

from django.conf import settings

from marketplaces import errors
from marketplaces.base import Connector
from marketplaces.ozon import OzonConnector
from marketplaces.ratelimit import RateLimiter
from marketplaces.types import AccountInfo
from marketplaces.wildberries import WildberriesConnector
from marketplaces.yandex_market import YandexMarketConnector

if TYPE_CHECKING:
    from accounts.models import MarketplaceAccount

WILDBERRIES = "wildberries"
OZON = "ozon"
YANDEX_MARKET = "yandex_market"


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
