"""The one place that maps a marketplace name to its spec and its connector."""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.base import Connector
from marketplaces.ozon.connector import OzonConnector
from marketplaces.ozon.spec import OZON_SPEC
from marketplaces.ratelimit import RateLimiter
from marketplaces.spec import MarketplaceSpec
from marketplaces.types import AccountInfo
from marketplaces.wildberries.connector import WildberriesConnector
from marketplaces.wildberries.spec import WILDBERRIES_SPEC
from marketplaces.yandex_market.connector import YandexMarketConnector
from marketplaces.yandex_market.spec import YANDEX_MARKET_SPEC

if TYPE_CHECKING:
    from accounts.models import MarketplaceAccount

WILDBERRIES = WILDBERRIES_SPEC.name
OZON = OZON_SPEC.name
YANDEX_MARKET = YANDEX_MARKET_SPEC.name

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
        raise errors.AuthError(_("The credentials lack the field “%(name)s”") % {"name": name})
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
