"""The one place that maps a marketplace name to its connector."""

from typing import TYPE_CHECKING, Any

from marketplaces.base import Connector
from marketplaces.types import AccountInfo

if TYPE_CHECKING:
    from accounts.models import MarketplaceAccount


def build_connector(*, marketplace: str, credentials: dict[str, Any], account_key: str) -> Connector:
    """A connector for raw credentials; `account_key` scopes rate limits (use the account id when known)."""
    raise NotImplementedError(f"No connector for {marketplace} yet")


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
